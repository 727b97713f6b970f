/** The observable snapshot every engine keeps: engines call `update`, the UI subscribes. */
import { EMPTY_SNAPSHOT, type EngineSnapshot } from './media-engine.js';

export abstract class EngineBase {
  private state: EngineSnapshot = EMPTY_SNAPSHOT;
  private readonly listeners = new Set<() => void>();

  snapshot(): EngineSnapshot {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected update(patch: Partial<EngineSnapshot>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  protected clearListeners(): void {
    this.listeners.clear();
  }
}
