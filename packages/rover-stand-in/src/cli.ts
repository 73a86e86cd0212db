import { RoverStandInOptions, startRoverStandIn } from './standIn';

const USAGE = `rover-stand-in: a stand-in for SkyWalking Rover (Rover's eBPF cannot load on this kernel).
Follows the demo shop's request lines in its pods' logs and streams them to OAP
over Rover's access-log protocol (EBPFAccessLogService/collect).

  rover-stand-in --kubeconfig <file> (--oap <host:port> | --oap-service <ns>/<name>) --namespace <ns>
                 [--selector <labels>] [--cluster <name>]

  --kubeconfig  kubeconfig of the cluster the pods run in
  --oap         OAP's gRPC address, host:port (port 11800)
  --oap-service OAP's Service: its ready endpoint's gRPC port, followed as OAP's pods change
  --namespace   namespace of the pods
  --selector    label selector of the pods (default: every pod of the namespace)
  --cluster     cluster name: services are named <cluster>::<service>.<namespace>`;

export function parseArgs(argv: string[]): RoverStandInOptions & { help?: boolean } {
  const out: Partial<RoverStandInOptions> & { help?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--kubeconfig') out.kubeconfigPath = next();
    else if (a === '--oap') out.oapAddress = next();
    else if (a === '--oap-service') out.oapService = next();
    else if (a === '--namespace') out.namespace = next();
    else if (a === '--selector') out.selector = next();
    else if (a === '--cluster') out.cluster = next();
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (out.help) return out as RoverStandInOptions & { help: true };
  for (const [flag, v] of [['--kubeconfig', out.kubeconfigPath], ['--namespace', out.namespace]] as const) {
    if (!v) throw new Error(`${flag} is required`);
  }
  if ((out.oapAddress === undefined) === (out.oapService === undefined)) throw new Error('one of --oap and --oap-service is required');
  return out as RoverStandInOptions;
}

export async function main(argv: string[]) {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`[rover-stand-in] ${(e as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let standIn;
  try {
    standIn = await startRoverStandIn(args);
  } catch (e) {
    process.stderr.write(`[rover-stand-in] ${(e as Error).message}\n`);
    process.exit(1);
  }
  // a summary once a minute, when something moved
  let last = '';
  const summary = setInterval(() => {
    const s = standIn.stats();
    const nodes = Object.entries(s.nodes).map(([n, x]) => `${n}: ${x.delivered} delivered, ${x.dropped} dropped, ${x.buffered} buffered`);
    const line = `${s.followed} containers followed, ${s.requests} requests read, ${s.unreadable} unreadable lines; ${nodes.join('; ') || 'no node yet'}`;
    if (line !== last) process.stderr.write(`[rover-stand-in] ${line}\n`);
    last = line;
  }, 60_000);
  const stop = async () => {
    clearInterval(summary);
    await standIn.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
