import { HumanDuration } from '@backstage/types';

export interface Config {
  /** Configuration of the SkyWalking plugins. Clusters come from `kubernetes.clusterLocatorMethods`. */
  skywalking?: {
    /** SkyWalking version offered by default (template, API). */
    defaultVersion?: string;
    /**
     * Which clusters and namespaces an owner may act on (tracing toggle,
     * create, update, scale, pause, resume, upgrade, delete, backup, restore).
     * Not configured: nothing is mapped to anyone and every such action is
     * refused with a 403 naming this key. See the README, Security.
     */
    tenancy?: {
      mappings?: Array<{
        /** owner refs (`group:default/team-a`, `user:default/alice`; short forms are groups) */
        owners?: string[];
        /** catalog System refs; they count for whoever owns that System in the catalog */
        systems?: string[];
        /** cluster name patterns: `*` any run of characters, `?` one (no regular expressions) */
        clusters: string[];
        /** namespace patterns, e.g. `team-a-*` */
        namespaces: string[];
      }>;
      /**
       * Opt-in: a live Namespace's `skywalking-backstage.io/owner` annotation
       * (entity refs, comma separated) or label (a group name) maps it to
       * those owners; `true` for every cluster, or the cluster patterns.
       */
      namespaceOwner?: boolean | { clusters?: string[] };
    };
    /**
     * Images (patterns, `*` any run of characters) the portal may run besides its defaults
     * (the snapshot tools, the Java agent): `storage.external.snapshot.image` must match one.
     */
    allowedImages?: string[];
    oapConfig?: {
      /** env name patterns `oap.config` may set besides `SW_*` (JAVA_TOOL_OPTIONS and the like never) */
      allowedEnvNames?: string[];
      /** env names whose literal values are shown in clear in audit and API responses (others are redacted) */
      safeEnvNames?: string[];
    };
    storage?: {
      /**
       * Host patterns (`*.databases`, `pg.example.com`) of external storage addresses; the storage
       * Secret's credentials go there. None configured: no external storage.
       */
      allowedAddresses?: string[];
    };
    permissions?: {
      /** service principals (subjects such as `external:ci`) whose tokens may write; by default writes take a user's token */
      trustedServices?: string[];
    };
    /** Namespace of the per-cluster leader-election Lease. Default `kube-system`. */
    leaseNamespace?: string;
    /** Changes queued while their cluster is unreachable (the outbox). */
    outbox?: {
      /**
       * A queued change older than this is given up (a dead letter, shown on
       * the backends page) instead of replayed. Default 7 days.
       */
      maxAge?: HumanDuration | string;
      /** Failures answered by the API server before a change is given up. Default 5. */
      maxAttempts?: number;
      /**
       * The Secret holding the key that seals literal oap.config values of
       * queued changes (created when absent). Default
       * `skywalking-system/skywalking-backstage-outbox-key` in the first cluster.
       */
      keySecret?: { cluster?: string; namespace?: string; name?: string };
    };
    /** Per-cluster settings, keyed by the cluster name used in `kubernetes` config. */
    clusters?: {
      [name: string]: {
        /** `webhook` (the API server calls the portal) or `patch` (the portal patches workloads). */
        injectionMode?: 'webhook' | 'patch';
        /** Set false to only read and write CRs in this cluster, never reconcile them. */
        reconcile?: boolean;
        /** OAP GraphQL base URL, when the portal reaches OAP directly rather than through the API server's service proxy. */
        oapUrl?: string;
      };
    };
    webhook?: {
      /** Serve the mutating admission webhook. Default true. */
      enabled?: boolean;
      /** HTTPS port of the webhook server. Default 9443. */
      port?: number;
      /** Address to bind. Default 127.0.0.1 (only an API server on this machine reaches it); e.g. 0.0.0.0 with `url`. */
      host?: string;
      /**
       * URL the API server uses to reach the webhook, e.g. https://portal.example.com:9443. Default
       * https://127.0.0.1:<port>, which is refused (with an error naming the cluster) for clusters whose API server is remote.
       */
      url?: string;
      /** PEM serving certificate and key; generated (from the shared CA) and rotated by the plugin when absent. */
      certFile?: string;
      keyFile?: string;
      /** PEM CA bundle registered as caBundle with certFile/keyFile. Default: the certificate itself. */
      caFile?: string;
      /**
       * The generated CA, shared by all replicas: a Secret created once (create-only) and rotated there.
       * Default: cluster = the first cluster in webhook mode, namespace skywalking-system, name skywalking-backstage-webhook-ca.
       */
      caSecret?: { cluster?: string; namespace?: string; name?: string };
      /** PEM CA the API server's client certificate must chain to (mTLS); clients without one are refused. Default: none. */
      clientCaFile?: string;
      /** Admission request timeout in seconds (1-30). Default 5. */
      timeoutSeconds?: number;
      /** Admission worker threads. Default 2. */
      workers?: number;
      /** Per-request deadline in ms; past it the pod is admitted without the agent and the worker replaced. Default min(2000, timeoutSeconds*1000 - 1000). */
      deadlineMs?: number;
    };
  };
}
