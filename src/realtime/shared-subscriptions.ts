// One execution per distinct subscription. Subscribers that sent the same
// operation (document, operation name, variables) as the same viewer get the
// same results, so the operation runs once for all of them and every event is
// resolved once (one database read, not one per subscriber); each subscriber
// only receives the shared result. The viewer is part of the key, so
// owner-only fields never reach anyone but the viewer they were resolved for.
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import type { Metrics } from '../observability/metrics.js';
import { watchTopics } from './pubsub.js';

type Stream = AsyncIterable<ExecutionResult>;

/**
 * Subscribers handed a result before the event loop gets a turn: sending to
 * 10,000 sockets takes a good part of a second, and the request that
 * published the event (and everyone else) must not wait for all of it.
 */
const DELIVERIES_PER_TURN = 250;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** What executing a subscription gives: a stream, or one result (an error, e.g. NOT_FOUND). */
export type SubscriptionSource = Stream | ExecutionResult;

/** A subscriber's view of a shared stream: the results published after it joined. */
class Member implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  private done = false;

  constructor(private readonly leave: (member: Member) => void) {}

  push(result: ExecutionResult): void {
    if (this.done) return;
    if (this.waiting) {
      this.waiting({ value: result, done: false });
      this.waiting = undefined;
    } else {
      this.queue.push(result);
    }
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve({ value: queued, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.queue.length = 0;
    this.end();
    this.leave(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

class Group {
  readonly members = new Set<Member>();
  closed = false;

  constructor(
    private readonly iterator: AsyncIterator<ExecutionResult>,
    /** The pub/sub topics the execution listens to: each member counts as a subscriber of them. */
    readonly topics: string[],
    /** Told how many members the execution still had when it ended. */
    private readonly onClose: (remainingMembers: number) => void,
  ) {
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.iterator.next();
        if (done || this.closed) break;
        const members = [...this.members];
        for (let index = 0; index < members.length; index++) {
          if (index > 0 && index % DELIVERIES_PER_TURN === 0) await nextTurn();
          members[index]!.push(value);
        }
      }
    } catch {
      // The stream failed (e.g. the server is closing): its subscribers' streams end, as they did unshared.
    }
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this.members.size);
    for (const member of this.members) member.end();
    this.members.clear();
    void this.iterator.return?.();
  }
}

export interface SharedSubscriptions {
  /**
   * The stream for a subscriber of operation `key`: joins the running
   * execution of that key, or starts one with `execute`. Results that are not
   * streams (errors) are handed back unshared.
   */
  join(key: string, execute: () => Promise<SubscriptionSource> | SubscriptionSource): Promise<SubscriptionSource>;
}

export function createSharedSubscriptions(metrics: Pick<Metrics, 'subscriptionStarted' | 'subscriptionEnded'>): SharedSubscriptions {
  const groups = new Map<string, Promise<Group | ExecutionResult>>();

  async function start(key: string, execute: () => Promise<SubscriptionSource> | SubscriptionSource): Promise<Group | ExecutionResult> {
    const topics: string[] = [];
    const source = await watchTopics((topic) => topics.push(topic), execute);
    if (!isAsyncIterable(source)) return source;
    return new Group((source as Stream)[Symbol.asyncIterator](), topics, (remainingMembers) => {
      groups.delete(key);
      // The topic streams counted one member and end by themselves; the others counted themselves.
      for (let member = 1; member < remainingMembers; member++) for (const topic of topics) metrics.subscriptionEnded(topic);
    });
  }

  function leave(group: Group, member: Member): void {
    if (!group.members.delete(member)) return;
    // The last member's leaving ends the execution, and with it the topic streams it counted.
    if (group.members.size === 0) group.close();
    else for (const topic of group.topics) metrics.subscriptionEnded(topic);
  }

  async function join(key: string, execute: () => Promise<SubscriptionSource> | SubscriptionSource): Promise<SubscriptionSource> {
    let starting = groups.get(key);
    if (!starting) {
      starting = start(key, execute);
      groups.set(key, starting);
      // An error answer is not kept: the next subscriber executes again.
      starting.then(
        (group) => group instanceof Group || groups.delete(key),
        () => groups.delete(key),
      );
    }
    const group = await starting;
    if (!(group instanceof Group)) return group;
    if (group.closed) return join(key, execute);
    // The execution's own streams count its first member; each further one counts itself.
    if (group.members.size > 0) for (const topic of group.topics) metrics.subscriptionStarted(topic);
    const member = new Member((left) => leave(group, left));
    group.members.add(member);
    return member;
  }

  return { join };
}
