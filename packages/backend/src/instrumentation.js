/*
 * OpenTelemetry for the backend, as Backstage's "Setup OpenTelemetry" tutorial
 * does it: loaded before the backend with `node --require` (the backend's
 * `start` script and scripts/start-demo.mjs pass it through backstage-cli's
 * `--require`), it starts the OTel NodeSDK with a Prometheus exporter, so
 * every meter of every plugin (the operator's skywalking_* metrics among
 * them) is served at http://<host>:9464/metrics.
 *
 *   SWB_METRICS=0          do not start the SDK at all
 *   SWB_METRICS_PORT=9464  port of the Prometheus endpoint
 *   SWB_METRICS_HOST       interface to listen on (default all)
 *
 * Traces (the operator's reconcile and admission spans) are exported only
 * when asked for with the standard OpenTelemetry variables
 * (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, ...); without them the
 * spans cost nothing and nothing tries to reach a collector.
 */
// once per process: not again in worker threads
const { isMainThread } = require('node:worker_threads');

function metricsPort() {
  const raw = process.env.SWB_METRICS_PORT;
  if (raw === undefined || raw === '') return 9464;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`SWB_METRICS_PORT must be a port number, got "${raw}"`);
  }
  return port;
}

if (isMainThread && process.env.SWB_METRICS !== '0') {
  const env = process.env;
  const otlp = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  // the SDK defaults every signal to an OTLP exporter on localhost: only
  // traces when a collector is configured, logs stay with Backstage's logger
  if (!env.OTEL_TRACES_EXPORTER && !otlp) env.OTEL_TRACES_EXPORTER = 'none';
  if (!env.OTEL_LOGS_EXPORTER) env.OTEL_LOGS_EXPORTER = 'none';

  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');

  const port = metricsPort();
  const exporter = new PrometheusExporter({ port, host: env.SWB_METRICS_HOST || undefined }, error => {
    if (error) {
      // a taken port must not stop the portal
      console.warn(`[instrumentation] Prometheus endpoint not started on port ${port}: ${error.message}`);
    } else {
      console.log(`[instrumentation] Prometheus metrics on http://${env.SWB_METRICS_HOST || 'localhost'}:${port}/metrics`);
    }
  });
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || 'skywalking-backstage',
    metricReaders: [exporter],
  });
  // pull-based: nothing to flush on exit, so no signal handlers of our own
  sdk.start();
}
