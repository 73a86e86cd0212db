import * as fs from 'fs';
import { startOapDouble } from './server';
import {
  BOOKINFO_SCENARIO,
  OapDoubleScenario,
  createTrafficSource,
} from './traffic';

const USAGE = `oap-double: a TEST DOUBLE of SkyWalking OAP's GraphQL API (not OAP)

  node packages/oap-double/bin/oap-double.js [--port 12800] [--seed 1] [--scenario file.json]

  --port      loopback port (default 12800; 0 picks a free one)
  --seed      traffic generator seed (default 1)
  --scenario  JSON {services:[{name,namespace,pods:[{name,ip}]}], calls:[{from,to}],
              general?:{services:[agent names], calls:[{from,to}]}} (K8S_SERVICE,
              and the agents' GENERAL layer; default: Istio Bookinfo, no agents)`;

export function parseArgs(argv: string[]): {
  port: number;
  seed: number;
  scenario?: string;
  help?: boolean;
} {
  const out: { port: number; seed: number; scenario?: string; help?: boolean } =
    { port: 12800, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port') out.port = Number(next());
    else if (a === '--seed') out.seed = Number(next());
    else if (a === '--scenario') out.scenario = next();
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535)
    throw new Error('--port must be 0..65535');
  if (!Number.isFinite(out.seed)) throw new Error('--seed must be a number');
  return out;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`[oap-double] ${(e as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const scenario: OapDoubleScenario = args.scenario
    ? JSON.parse(fs.readFileSync(args.scenario, 'utf8'))
    : BOOKINFO_SCENARIO;
  const double = await startOapDouble({
    port: args.port,
    trafficSource: createTrafficSource(scenario, { seed: args.seed }),
  });
  const stop = () => {
    double.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module || process.env.OAP_DOUBLE_CLI === '1') {
  main().catch(e => {
    process.stderr.write(`[oap-double] ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
