import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { BackupRun } from '@skywalking-backstage/plugin-skywalking-common';
import { example, pathOf, target } from './lifecycle';
import { SkyWalkingApiCaller } from './skywalkingApi';

/**
 * Backs a SkyWalking backend up now, through the REST API (`POST …/backups`,
 * permission skywalking.backend.backup on the backend): BanyanDB with its
 * backup tool, external storage with its own snapshot tool, to the backend's
 * recorded target or the given one. The API validates the target for the
 * backend's storage and answers which run it started.
 */
export function createBackendBackupAction(api: SkyWalkingApiCaller) {
  return createTemplateAction({
    id: 'skywalking:backend:backup',
    description:
      "Backs a SkyWalking backend up now, to its recorded backup target or the given one: BanyanDB with BanyanDB's backup tool, external storage with its own snapshot tool. Outputs the backup run (a Job).",
    examples: [
      { description: 'Back a backend up to its recorded target', example: example('skywalking:backend:backup') },
      {
        description: 'Back up to another PersistentVolumeClaim and wait until the backup has finished',
        example: example('skywalking:backend:backup', ['      target:', '        pvc:', '          claimName: skywalking-backups', '      waitForCompletion: true']),
      },
    ],
    schema: {
      input: {
        ...target,
        target: z =>
          z
            .object({
              pvc: z.object({ claimName: z.string().min(1) }).optional().describe('A PersistentVolumeClaim in the backend\'s namespace (BanyanDB; PostgreSQL and MySQL dumps)'),
              url: z.string().optional().describe('An object store: s3://bucket/prefix, azure://container/prefix or gs://bucket/prefix (BanyanDB 0.9.0 or later)'),
              secretName: z.string().optional().describe("Secret with the object store's credentials"),
              repository: z.string().optional().describe('A snapshot repository registered in Elasticsearch'),
            })
            // the API checks the target against the backend's storage
            .passthrough()
            .optional()
            .describe("Where to back up (default: the backend's recorded backup target)"),
        waitForCompletion: z => z.boolean().default(false).describe('Wait until the backup has finished (fails when it failed)'),
        timeoutSeconds: z => z.number().int().min(10).max(86400).default(1800).describe('How long to wait when waitForCompletion'),
      },
      output: {
        /** the backup run (its Job) */
        name: z => z.string(),
        /** Pending, Running, Succeeded or Failed */
        phase: z => z.string(),
        /** the destination */
        target: z => z.string(),
        /** what a restore names: the BanyanDB time directory or the storage snapshot */
        backup: z => z.string().optional(),
      },
    },
    async handler(ctx) {
      const i = ctx.input;
      const credentials = await ctx.getInitiatorCredentials();
      const ref = `${i.cluster}/${i.namespace}/${i.name}`;
      let run = await api.call<BackupRun>(credentials, 'POST', `${pathOf(i)}/backups`, i.target !== undefined ? { target: i.target } : {});
      ctx.logger.info(`Backup ${run.name} of ${ref} to ${run.target} started (${run.phase})`);
      if (i.waitForCompletion) {
        const deadline = Date.now() + i.timeoutSeconds * 1000;
        while (run.phase !== 'Succeeded' && run.phase !== 'Failed') {
          if (Date.now() > deadline) break;
          await new Promise(res => setTimeout(res, 3000));
          const list = await api.call<{ items: BackupRun[] }>(credentials, 'GET', `${pathOf(i)}/backups`);
          const name = run.name;
          run = list.items.find(r => r.name === name) ?? run;
          ctx.logger.info(`Backup ${run.name} of ${ref}: ${run.phase}`);
        }
      }
      ctx.output('name', run.name);
      ctx.output('phase', run.phase);
      ctx.output('target', run.target);
      if (run.backup) ctx.output('backup', run.backup);
      if (!i.waitForCompletion) return;
      if (run.phase === 'Failed') throw new Error(`Backup ${run.name} of ${ref} failed${run.message ? `: ${run.message}` : ''}`);
      if (run.phase !== 'Succeeded') throw new Error(`Backup ${run.name} of ${ref} not finished after ${i.timeoutSeconds}s (${run.phase})`);
      ctx.logger.info(`Backup ${run.name} of ${ref} succeeded${run.backup ? `: ${run.backup}` : ''}`);
    },
  });
}
