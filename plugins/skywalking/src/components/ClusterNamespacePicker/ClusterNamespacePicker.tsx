import { useApi } from '@backstage/core-plugin-api';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { Box, CircularProgress, FormHelperText, TextField } from '@material-ui/core';
import { Autocomplete } from '@material-ui/lab';
import { useEffect } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { skyWalkingApiRef } from '../../api';

export interface ClusterNamespaceValue {
  cluster?: string;
  namespace?: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a namespace as Kubernetes does; returns the problem or undefined. */
export function namespaceProblem(ns: string | undefined): string | undefined {
  if (!ns) return 'namespace is required';
  if (ns.length > 63) return 'namespace must be at most 63 characters';
  if (!DNS1123_LABEL.test(ns)) {
    return 'namespace must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/** rjsf's FieldValidation, structurally (avoids a direct @rjsf/utils dependency) */
interface FieldValidation {
  addError(message: string): void;
}

export const clusterNamespacePickerValidation = (
  value: ClusterNamespaceValue,
  validation: FieldValidation,
) => {
  if (!value?.cluster) validation.addError('cluster is required');
  const problem = namespaceProblem(value?.namespace);
  if (problem) validation.addError(problem);
};

/**
 * Scaffolder field: a cluster from the portal's configured clusters and a
 * namespace in it (existing ones are suggested, new names are allowed).
 */
export const ClusterNamespacePicker = (
  props: FieldExtensionComponentProps<ClusterNamespaceValue>,
) => {
  const { formData, onChange, rawErrors, required, schema } = props;
  const api = useApi(skyWalkingApiRef);
  const clusters = useAsync(() => api.listClusters(), [api]);
  const cluster = formData?.cluster ?? (clusters.value?.length === 1 ? clusters.value[0].name : undefined);
  const namespaces = useAsync(
    async () => (cluster ? api.listNamespaces(cluster) : []),
    [api, cluster],
  );
  // with a single cluster there is nothing to choose: record it in the form
  useEffect(() => {
    if (cluster && formData?.cluster !== cluster) onChange({ ...formData, cluster });
  }, [cluster, formData, onChange]);
  const typedProblem = formData?.namespace ? namespaceProblem(formData.namespace) : undefined;

  return (
    <Box display="flex" flexDirection="column" style={{ gap: 12 }}>
      <Autocomplete
        options={(clusters.value ?? []).map(c => c.name)}
        value={cluster ?? null}
        loading={clusters.loading}
        onChange={(_, v) => onChange({ ...formData, cluster: v ?? undefined })}
        getOptionLabel={o => {
          const c = clusters.value?.find(x => x.name === o);
          return c && !c.reachable ? `${o} (unreachable)` : o;
        }}
        renderInput={params => (
          <TextField
            {...params}
            label="Cluster"
            required={required}
            error={!!rawErrors?.length && !cluster}
            InputProps={{
              ...params.InputProps,
              endAdornment: clusters.loading ? <CircularProgress size={16} /> : params.InputProps.endAdornment,
            }}
          />
        )}
      />
      <Autocomplete
        freeSolo
        options={namespaces.value ?? []}
        value={formData?.namespace ?? ''}
        onInputChange={(_, v) => onChange({ ...formData, cluster, namespace: v })}
        renderInput={params => (
          <TextField
            {...params}
            label="Namespace"
            required={required}
            error={!!typedProblem}
            helperText={typedProblem ?? schema.description ?? 'An existing namespace, or a new one to create'}
          />
        )}
      />
      {clusters.error && <FormHelperText error>Could not list clusters: {clusters.error.message}</FormHelperText>}
      {namespaces.error && <FormHelperText error>Could not list namespaces: {namespaces.error.message}</FormHelperText>}
    </Box>
  );
};
