import { Box, Chip, Tooltip, Typography } from '@material-ui/core';
import { BackendSummary } from '@skywalking-backstage/plugin-skywalking-common';

/**
 * The backend's changes kept in the portal's outbox: waiting ones, and dead
 * letters (given up, never applied) with who asked for what and why it was
 * given up, so a change answered "queued" is never lost silently.
 */
export const OutboxStatus = ({ backend }: { backend: BackendSummary }) => {
  const o = backend.outbox;
  if (!o || (!o.pending && !o.dead.length)) return <>-</>;
  return (
    <Box display="flex" flexDirection="column" style={{ gap: 4 }}>
      {o.pending > 0 && <Chip size="small" label={`${o.pending} waiting`} data-testid={`outbox-pending-${backend.name}`} />}
      {o.dead.length > 0 && (
        <Tooltip
          title={
            <>
              {o.dead.map(d => (
                <Typography key={String(d.id)} variant="caption" component="div">
                  {d.operation} by {d.actor}
                  {d.deadAt ? `, given up ${new Date(d.deadAt).toLocaleString()}` : ''}: {d.reason ?? 'no reason recorded'}
                </Typography>
              ))}
            </>
          }
        >
          <Chip size="small" color="secondary" label={`${o.dead.length} given up`} data-testid={`outbox-dead-${backend.name}`} />
        </Tooltip>
      )}
      {o.dead.map(d => (
        <Typography key={String(d.id)} variant="caption" color="error" component="div">
          {d.operation} by {d.actor} not applied: {d.reason ?? 'no reason recorded'}
        </Typography>
      ))}
    </Box>
  );
};
