/**
 * OAP versions the repository's local image factory builds
 * (`tools/images/recipes/oap-<version>.sh`, as `apache/skywalking-oap-server:<version>`,
 * the name renderOAPServer gives a spec without an image). Maven Central
 * serves `server-starter` for these and the repository carries their
 * configuration (`third_party/apache-skywalking/oap-<version>/`). A local
 * cluster with no registry can run only these OAP versions.
 */
export const LOCALLY_BUILDABLE_OAP_VERSIONS: readonly string[] = ['10.1.0', '9.6.0'];

/**
 * The SkyWalking version the software template and the scaffolder action
 * offer by default: the newest one the local image factory builds, so a
 * backend provisioned on the local cluster really runs. Any other version
 * stays allowed for clusters that pull from a registry.
 */
export const DEFAULT_SKYWALKING_VERSION = '10.1.0';
