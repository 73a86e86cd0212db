/*
 * skywalking-inject: adds (or with --remove takes out) the SkyWalking java
 * agent in Kubernetes YAML, like the SWCK injector would at admission time.
 * Reads a file or stdin (multi-document), writes the result to stdout.
 * Comments of the input are kept. Any error: message on stderr, exit code 1,
 * nothing on stdout.
 */
import { readFile } from 'node:fs/promises';
import { compare } from 'fast-json-patch';
import { Document, isCollection, parseAllDocuments } from 'yaml';
import {
  AGENT_ANNOTATION_PREFIX,
  BOOTSTRAP_PLUGINS_ANNOTATION,
  DEFAULT_AGENT_IMAGE,
  INJECT_CONTAINER_ANNOTATION,
  OPTIONAL_PLUGINS_ANNOTATION,
  OPTIONAL_REPORTER_PLUGINS_ANNOTATION,
  PLUGINS_ANNOTATION_PREFIX,
} from '../inject/constants';
import { injectAgent } from '../inject/inject';
import type { AgentBackend, InjectionError, JsonPatchOperation } from '../inject/types';
import { isInjectorAnnotation } from '../inject/validate';
import { injectWorkload, podTemplatePath, removeWorkload, WorkloadResult } from '../inject/workload';

export const USAGE = `Usage: skywalking-inject [options] [file.yaml|-]

Adds the SkyWalking java agent to the Pods, Deployments, StatefulSets,
DaemonSets, ReplicaSets, Jobs and CronJobs of Kubernetes YAML (the same way
the SWCK java agent injector does); other documents pass through unchanged.
Reads the file, or stdin without a file or with "-", writes to stdout.

Options (mirroring the SWCK annotations):
  --service-name <name>        agent service name (SW_AGENT_NAME)
  --collector <host:port,...>  OAP/Satellite address (SW_AGENT_COLLECTOR_BACKEND_SERVICES)
  --ca-configmap <name>        ConfigMap whose ca.crt (the backend's CA) is mounted into the
                               agent's ca/ directory: the agent talks TLS to the OAP
  --agent-image <image>        init container image (default ${DEFAULT_AGENT_IMAGE})
  --container <regex>          containers to inject (strategy.skywalking.apache.org/inject.Container)
  --set <key>=<value>          agent.config option, e.g. --set agent.sample_n_per_3_secs=6
                               (agent.skywalking.apache.org/<key>); a full injector
                               annotation key is accepted too. Repeatable.
  --plugin <key>=<value>       plugin option, e.g. --plugin plugin.mongodb.trace_param=true. Repeatable.
  --optional-plugin <name>     copy an optional plugin, e.g. webflux. Repeatable.
  --optional-reporter-plugin <name>   copy an optional reporter plugin, e.g. kafka. Repeatable.
  --bootstrap-plugin <name>    copy a bootstrap plugin, e.g. jdk-threading. Repeatable.
  --require-label              only inject pods labelled swck-java-agent-injected: "true"
  --remove                     remove an injection made by this tool instead
  -h, --help                   show this help
`;

export interface CliIo {
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
  stdout(text: string): void;
  stderr(text: string): void;
}

interface CliOptions {
  file?: string;
  remove: boolean;
  requireLabel: boolean;
  backend: AgentBackend;
  annotations: Record<string, string>;
  /** which option set each annotation / backend field, for messages */
  origin: Record<string, string>;
}

class UsageError extends Error {}

const VALUE_OPTIONS = [
  '--service-name',
  '--collector',
  '--ca-configmap',
  '--agent-image',
  '--container',
  '--set',
  '--plugin',
  '--optional-plugin',
  '--optional-reporter-plugin',
  '--bootstrap-plugin',
];

/** Parses the command line; throws UsageError. */
export function parseArgs(argv: string[]): CliOptions | 'help' {
  const o: CliOptions = { remove: false, requireLabel: false, backend: {}, annotations: {}, origin: {} };
  const lists: Record<string, string[]> = {};
  let injectionOption: string | undefined;
  const setAnnotation = (key: string, value: string, option: string) => {
    if (key in o.annotations) throw new UsageError(`${option}: ${key} is given twice`);
    o.annotations[key] = value;
    o.origin[`annotations[${JSON.stringify(key)}]`] = option;
  };
  const keyValue = (option: string, raw: string): [string, string] => {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new UsageError(`${option} expects <key>=<value>, got ${JSON.stringify(raw)}`);
    return [raw.slice(0, eq), raw.slice(eq + 1)];
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg.startsWith('--') && arg.includes('=')) {
      value = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    if (arg === '--remove' || arg === '--require-label') {
      if (value !== undefined) throw new UsageError(`${arg} takes no value`);
      if (arg === '--remove') o.remove = true;
      else o.requireLabel = true;
      continue;
    }
    if (VALUE_OPTIONS.includes(arg)) {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
        value = argv[++i];
      }
      injectionOption = injectionOption ?? arg;
      switch (arg) {
        case '--service-name':
          if (o.backend.agentServiceName !== undefined) throw new UsageError('--service-name is given twice');
          o.backend.agentServiceName = value;
          o.origin['backend.agentServiceName'] = arg;
          break;
        case '--collector':
          if (o.backend.collectorAddress !== undefined) throw new UsageError('--collector is given twice');
          o.backend.collectorAddress = value;
          o.origin['backend.collectorAddress'] = arg;
          break;
        case '--ca-configmap':
          if (o.backend.caConfigMap !== undefined) throw new UsageError('--ca-configmap is given twice');
          o.backend.caConfigMap = value;
          o.origin['backend.caConfigMap'] = arg;
          break;
        case '--agent-image':
          setAnnotation('sidecar.skywalking.apache.org/initcontainer.Image', value, arg);
          break;
        case '--container':
          setAnnotation(INJECT_CONTAINER_ANNOTATION, value, arg);
          break;
        case '--set': {
          const [k, v] = keyValue(arg, value);
          const key = k.includes('/') ? k : `${AGENT_ANNOTATION_PREFIX}${k}`;
          if (!isInjectorAnnotation(key)) throw new UsageError(`--set ${k}: not an injector annotation`);
          setAnnotation(key, v, `${arg} ${k}`);
          break;
        }
        case '--plugin': {
          const [k, v] = keyValue(arg, value);
          setAnnotation(`${PLUGINS_ANNOTATION_PREFIX}${k}`, v, `${arg} ${k}`);
          break;
        }
        default:
          (lists[arg] ??= []).push(value);
      }
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    if (o.file !== undefined) throw new UsageError(`only one input file can be given (got ${o.file} and ${arg})`);
    o.file = arg;
  }
  const listKeys: Record<string, string> = {
    '--optional-plugin': OPTIONAL_PLUGINS_ANNOTATION,
    '--optional-reporter-plugin': OPTIONAL_REPORTER_PLUGINS_ANNOTATION,
    '--bootstrap-plugin': BOOTSTRAP_PLUGINS_ANNOTATION,
  };
  for (const [option, names] of Object.entries(lists)) {
    const bad = names.find(n => !/^[A-Za-z0-9._-]+$/.test(n));
    if (bad !== undefined) throw new UsageError(`${option} ${JSON.stringify(bad)}: not a plugin name (letters, digits, . _ -)`);
    setAnnotation(listKeys[option], names.join('|'), option);
  }
  if (o.remove && injectionOption) throw new UsageError(`--remove cannot be combined with ${injectionOption}`);
  return o;
}

/** Checks the option values with the injector's own validation (on a throw-away pod). */
function checkOptionValues(o: CliOptions): string[] {
  const probe = injectAgent({
    pod: { spec: { containers: [{ name: 'probe' }] } },
    force: true,
    annotations: o.annotations,
    backend: o.backend,
  });
  return probe.errors.map(e => `${o.origin[e.path] ?? e.path}: ${e.message}`);
}

function describe(obj: any): string {
  if (!obj || typeof obj !== 'object') return '';
  const name = obj.metadata?.name;
  const ns = obj.metadata?.namespace;
  return obj.kind ? ` (${obj.kind}${name ? ` ${ns ? `${ns}/` : ''}${name}` : ''})` : '';
}

function unescapePointer(path: string): Array<string | number> {
  return path
    .split('/')
    .slice(1)
    .map(t => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map(t => (/^(0|[1-9][0-9]*)$/.test(t) ? Number(t) : t));
}

/** Applies JSON patch operations to a YAML document, keeping comments elsewhere. */
function patchDocument(doc: Document, ops: JsonPatchOperation[], expected: unknown) {
  try {
    for (const op of ops) {
      const path = unescapePointer(op.path);
      if (op.op === 'remove') doc.deleteIn(path);
      else if (op.op === 'add' || op.op === 'replace') doc.setIn(path, doc.createNode(op.value));
      else throw new Error(`unexpected op ${op.op}`);
      // show changed parts in block style even where the input used flow style ({...}, [...])
      for (let i = 0; i <= path.length; i++) {
        const node = i ? doc.getIn(path.slice(0, i), true) : doc.contents;
        if (isCollection(node)) node.flow = false;
      }
    }
    if (JSON.stringify(doc.toJS()) === JSON.stringify(expected)) return;
  } catch {
    // fall through: rebuild the document from the expected value
  }
  doc.contents = doc.createNode(expected) as any;
}

interface Outcome {
  object: unknown;
  errors: InjectionError[];
  notes: string[];
}

function processObject(obj: any, o: CliOptions, path = ''): Outcome {
  if (obj && typeof obj === 'object' && obj.kind === 'List' && Array.isArray(obj.items)) {
    const errors: InjectionError[] = [];
    const notes: string[] = [];
    const items = obj.items.map((item: unknown, i: number) => {
      const r = processObject(item, o, `${path}items[${i}]${describe(item)}: `);
      errors.push(...r.errors);
      notes.push(...r.notes);
      return r.object;
    });
    return { object: { ...obj, items }, errors, notes };
  }
  if (!podTemplatePath(obj)) return { object: obj, errors: [], notes: [] };
  const r: WorkloadResult = o.remove
    ? removeWorkload(obj)
    : injectWorkload(obj, { force: !o.requireLabel, annotations: o.annotations, backend: o.backend });
  const prefix = (p: string) => (path ? `${path}${p}` : p);
  const notes = [...r.warnings];
  if (!r.changed && r.reason) notes.push(`not ${o.remove ? 'changed' : 'injected'}: ${r.reason}`);
  else if (r.reason) notes.push(r.reason);
  return {
    object: r.object,
    errors: r.errors.map(e => ({ ...e, path: prefix(e.path) })),
    notes: notes.map(prefix),
  };
}

/** Transforms YAML text; returns the output or the error messages. */
export function transformYaml(text: string, o: CliOptions): { output?: string; errors: string[]; notes: string[] } {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const errors: string[] = [];
  const notes: string[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    for (const e of doc.errors) errors.push(`document ${i + 1}: invalid YAML: ${e.message.split('\n')[0].replace(/:$/, '')}`);
  });
  if (errors.length) return { errors, notes };
  list.forEach((doc, i) => {
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 1000 });
    } catch (e: any) {
      errors.push(`document ${i + 1}: ${e.message}`);
      return;
    }
    const where = `document ${i + 1}${describe(js)}`;
    const r = processObject(js, o);
    errors.push(...r.errors.map(e => `${where}: ${e.path}: ${e.message}`));
    notes.push(...r.notes.map(n => `${where}: ${n}`));
    if (r.object !== js) patchDocument(doc, compare(js as object, r.object as object), r.object);
  });
  if (errors.length) return { errors, notes };
  return { output: list.map(d => d.toString()).join(''), errors, notes };
}

/** Runs the CLI; resolves to the exit code. */
export async function runInjectCli(argv: string[], io: CliIo): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parseArgs(argv);
  } catch (e: any) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`skywalking-inject: ${e.message}\nRun skywalking-inject --help for usage.\n`);
    return 1;
  }
  if (options === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const optionErrors = checkOptionValues(options);
  if (optionErrors.length) {
    io.stderr(optionErrors.map(m => `skywalking-inject: invalid option ${m}\n`).join(''));
    return 1;
  }
  let text: string;
  const source = options.file && options.file !== '-' ? options.file : 'stdin';
  try {
    text = source === 'stdin' ? await io.readStdin() : await io.readFile(source);
  } catch (e: any) {
    io.stderr(`skywalking-inject: cannot read ${source}: ${e.message}\n`);
    return 1;
  }
  const r = transformYaml(text, options);
  if (r.errors.length || r.output === undefined) {
    io.stderr(r.errors.map(m => `skywalking-inject: ${source}: ${m}\n`).join(''));
    return 1;
  }
  if (r.notes.length) io.stderr(r.notes.map(m => `skywalking-inject: note: ${m}\n`).join(''));
  io.stdout(r.output);
  return 0;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Entry point of bin/skywalking-inject. */
export function main(argv: string[] = process.argv.slice(2)): void {
  runInjectCli(argv, {
    readStdin: () => readAll(process.stdin),
    readFile: path => readFile(path, 'utf8'),
    stdout: text => process.stdout.write(text),
    stderr: text => process.stderr.write(text),
  }).then(
    code => {
      process.exitCode = code;
    },
    (e: any) => {
      process.stderr.write(`skywalking-inject: unexpected error: ${e?.stack ?? e}\n`);
      process.exitCode = 2;
    },
  );
}
