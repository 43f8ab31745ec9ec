/**
 * Mail on its way to other processes, for a `ClusterPort`: to each process
 * in the order sent, one batch at a time. What is sent while a batch is on
 * its way goes out in the next one, so a busy process sends fewer, larger
 * batches.
 *
 * @example
 * const outbox = new Outbox<Mail>((to, mails) => inbox.append(to, mails), (to, error) => console.error(to, error));
 * await outbox.send("process-2", mail); // true once stored
 */
export class Outbox<M> {
  /** The next batch for each process, not yet sent. */
  private readonly next = new Map<string, { mails: M[]; stored: Promise<boolean>; settle: (ok: boolean) => void }>();
  /** Processes with a batch on its way. */
  private readonly sending = new Map<string, Promise<void>>();

  constructor(
    /** Stores `mails` in process `to`'s inbox, in order, or rejects. */
    private readonly post: (to: string, mails: M[]) => Promise<void>,
    /** A batch could not be stored. */
    private readonly failed: (to: string, error: unknown) => void,
  ) {}

  /** Queues `mail` for process `to`: true once it is stored, false if it could not be (it never rejects). */
  send(to: string, mail: M): Promise<boolean> {
    let batch = this.next.get(to);
    if (!batch) {
      let settle!: (ok: boolean) => void;
      const stored = new Promise<boolean>((resolve) => (settle = resolve));
      this.next.set(to, (batch = { mails: [], stored, settle }));
      if (!this.sending.has(to)) queueMicrotask(() => this.flush(to));
    }
    batch.mails.push(mail);
    return batch.stored;
  }

  /** Resolves once every batch queued so far has been sent (or has failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.next.values()].map((batch) => batch.stored));
    await Promise.all(this.sending.values());
  }

  private flush(to: string): void {
    const batch = this.next.get(to);
    if (!batch || this.sending.has(to)) return;
    this.next.delete(to);
    const sent = this.post(to, batch.mails).then(
      () => batch.settle(true),
      (error) => {
        this.failed(to, error);
        batch.settle(false);
      },
    );
    this.sending.set(
      to,
      sent.then(() => {
        this.sending.delete(to);
        // What was sent meanwhile.
        this.flush(to);
      }),
    );
  }
}
