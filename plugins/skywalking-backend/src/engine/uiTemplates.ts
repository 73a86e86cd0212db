/**
 * UI templates an OAP upgrade would trip on. OAP seeds its bundled
 * dashboards into storage at every start and refuses to start when a stored
 * template has a bundled one's layer, entity and name under another id
 * (UITemplateInitializer.verifyNameConflict); 10.x renamed ids 9.x stored
 * (e.g. mesh-process: a UUID became "Mesh-Process"), so 9.6.0 -> 10.1.0 on
 * the same PostgreSQL exits at start. Upstream's advice is to remove the old
 * templates; an init container in the OAP image does it for JDBC storage
 * before each start: it disables (keeps, as OAP's own UI does) each stored
 * template whose layer_entity_name this version bundles under another id.
 * OAP checks only enabled templates, then adds its own. Groovy, Jackson and
 * the JDBC drivers come with OAP's libraries: no other image, no compiler.
 */

/** the init container's name */
export const UI_TEMPLATES_INIT_CONTAINER = 'ui-templates';

/** storages whose templates live in the ui_template table (MySQL covers TiDB) */
const JDBC_STORAGES = new Set(['postgresql', 'mysql']);

/** Run by groovy.ui.GroovyMain -e; best effort: OAP itself reports what is left (exit 0 always). */
export const UI_TEMPLATES_SCRIPT = `
import com.fasterxml.jackson.core.JsonParser
import com.fasterxml.jackson.databind.ObjectMapper
import java.sql.DriverManager
import java.sql.SQLException
def mapper = new ObjectMapper().enable(JsonParser.Feature.ALLOW_COMMENTS)
def key = { c -> ['layer', 'entity', 'name'].collect { c?.get(it)?.asText() }.join('_') }
def props = new Properties()
props.setProperty('user', System.getenv('SW_DATA_SOURCE_USER') ?: '')
props.setProperty('password', System.getenv('SW_DATA_SOURCE_PASSWORD') ?: '')
def db
try {
  // the templates this version seeds, by layer_entity_name (as UITemplateInitializer reads them)
  def bundled = [:]
  def dir = new File(System.getenv('SW_UI_TEMPLATES_DIR') ?: '/skywalking/config/ui-initialized-templates')
  if (dir.isDirectory()) dir.eachFileRecurse { f ->
    if (!f.name.endsWith('.json')) return
    def n = mapper.readTree(f)
    if (n != null && n.size() == 1) bundled[key(n.get(0).get('configuration'))] = n.get(0).get('id').asText()
  }
  db = DriverManager.getConnection(System.getenv('SW_JDBC_URL'), props)
  def rows = []
  try {
    def rs = db.createStatement().executeQuery('SELECT id, configuration FROM ui_template WHERE disabled = 0')
    while (rs.next()) rows << [rs.getString(1), rs.getString(2)]
  } catch (SQLException e) {
    println "[ui-templates] no stored UI templates to check (\${e.message.readLines()[0]})"
    return
  }
  def update = db.prepareStatement('UPDATE ui_template SET disabled = 1 WHERE id = ?')
  def n = 0
  rows.each { id, conf ->
    def k = key(mapper.readTree(conf))
    if (bundled[k] != null && bundled[k] != id) {
      update.setString(1, id)
      update.executeUpdate()
      n++
      println "[ui-templates] disabled stored template \${id}: this version bundles \${k} as \${bundled[k]}"
    }
  }
  println "[ui-templates] \${rows.size()} stored, \${bundled.size()} bundled, \${n} disabled"
} catch (Exception e) {
  println "[ui-templates] not checked: \${e}"
} finally {
  db?.close()
}
`;

/**
 * Adds the init container to a (freshly rendered) OAP Deployment whose
 * container uses JDBC storage: the OAP image, the container's env (JDBC URL
 * and credentials, TLS parameters) and mounts (storage CA, truststore).
 */
export function addUiTemplateCheck(deployment: any): void {
  const pod = deployment?.spec?.template?.spec;
  const container = pod?.containers?.[0];
  const storage = (container?.env ?? []).find((e: any) => e?.name === 'SW_STORAGE')?.value;
  if (!container || !JDBC_STORAGES.has(storage)) return;
  pod.initContainers = [
    ...(pod.initContainers ?? []),
    {
      name: UI_TEMPLATES_INIT_CONTAINER,
      image: container.image,
      imagePullPolicy: container.imagePullPolicy ?? 'IfNotPresent',
      // OAP's libraries hold Groovy, Jackson and the PostgreSQL driver (MySQL's goes in ext-libs, as for OAP); a small heap, the fast JIT tier
      command: ['java', '-Xmx160m', '-XX:TieredStopAtLevel=1', '-cp', '/skywalking/oap-libs/*:/skywalking/ext-libs/*', 'groovy.ui.GroovyMain', '-e', UI_TEMPLATES_SCRIPT],
      env: (container.env ?? []).filter((e: any) => e?.name !== 'JAVA_OPTS'),
      ...(container.volumeMounts?.length ? { volumeMounts: container.volumeMounts } : {}),
      ...(container.resources ? { resources: container.resources } : {}),
    },
  ];
}
