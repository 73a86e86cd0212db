// A node:test reporter that writes the events summarizeNodeTests counts, one
// JSON object a line (`--test-reporter=./scripts/lib/node-test-events.mjs`).
const COUNTED = new Set(['test:start', 'test:pass', 'test:fail']);

export default async function* nodeTestEvents(source) {
  for await (const { type, data } of source) {
    if (!COUNTED.has(type)) continue;
    const { name, nesting, file, skip, todo } = data;
    const details = { type: data.details?.type, error: { failureType: data.details?.error?.failureType } };
    yield `${JSON.stringify({ type, data: { name, nesting, file, skip, todo, details } })}\n`;
  }
}
