import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { messageConsumer } from './message-consumer';

class Greeter {
  async greet(name: string): Promise<string> {
    return `hello, ${name}`;
  }
}

describe('messageConsumer', () => {
  const Consumer = messageConsumer('GreetConsumer', 'greeting.requested.v1', Greeter, (g, payload: { name: string }) => g.greet(payload.name));

  it('is a named class whose handler listens for the message type', () => {
    expect(Consumer.name).toBe('GreetConsumer');
    const handler = (Consumer.prototype as Record<string, unknown>).consume as object;
    expect(Reflect.getMetadata(PATTERN_METADATA, handler)).toEqual(['greeting.requested.v1']);
  });

  it('hands the payload to the service and answers what it answers', async () => {
    const consumer = new (Consumer as new (g: Greeter) => { consume(p: unknown): Promise<unknown> })(new Greeter());
    await expect(consumer.consume({ name: 'ada' })).resolves.toBe('hello, ada');
  });
});
