// Who listens to a studio's events (Studio, and RecoverableStudio in front of it): subscribing
// returns the function that unsubscribes, and one subscriber's failure is its own — the service
// and the other subscribers go on.

export class Subscribers<E> {
  private readonly listeners = new Set<(event: E) => void>();

  /** Receives every event from now on; returns the function that unsubscribes. */
  add(listener: (event: E) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: E): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure is its own.
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
