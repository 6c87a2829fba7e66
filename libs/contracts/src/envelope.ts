/** Every message on the bus is one of these, serialised as JSON. */
export interface MessageEnvelope<T = unknown> {
  message_id: string;
  /** Ties every message of one piece of work together; for executions it is `execution:<id>`. */
  correlation_id: string;
  /** The versioned, domain-prefixed message name, e.g. `execution.requested.v1`. */
  type: string;
  version: number;
  /** ISO-8601 UTC. */
  timestamp: string;
  payload: T;
}
