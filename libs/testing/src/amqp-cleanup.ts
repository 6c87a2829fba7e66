import amqp from 'amqplib';

/** Deletes a test namespace's queues (with their DLQ and retry queues) and exchanges from the broker. */
export async function deleteAmqpNamespace(url: string, namespace: string, queues: string[]): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    for (const q of queues) {
      await ch.deleteQueue(`${namespace}.${q}`);
      await ch.deleteQueue(`${namespace}.${q}.dlq`);
      await ch.deleteQueue(`${namespace}.${q}.retry`);
    }
    for (const ex of ['executions', 'events', 'artifacts', 'workers', 'dlx']) await ch.deleteExchange(`${namespace}.${ex}`);
    await ch.close();
  } finally {
    await conn.close();
  }
}
