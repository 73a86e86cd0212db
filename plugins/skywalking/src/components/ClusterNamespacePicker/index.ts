export * from './ClusterNamespacePicker';
