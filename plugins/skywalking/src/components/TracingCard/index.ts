export { TracingCard } from './TracingCard';
