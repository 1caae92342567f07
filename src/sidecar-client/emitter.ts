/** A minimal typed event emitter with the shape of vscode.Event, so this folder needs no vscode import. */
export interface Disposable {
  dispose(): void;
}
export type Event<T> = (listener: (e: T) => void) => Disposable;

export class Emitter<T> {
  private listeners = new Set<(e: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(e: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A listener's bug must not break the others or the emitter's caller.
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
