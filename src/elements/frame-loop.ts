import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Calls `draw(now)` on every animation frame while the host is connected. */
export class FrameLoop implements ReactiveController {
  readonly #draw: (now: number) => void;
  #handle = 0;

  constructor(host: ReactiveControllerHost, draw: (now: number) => void) {
    this.#draw = draw;
    host.addController(this);
  }

  hostConnected(): void {
    const step = (now: number) => {
      this.#handle = requestAnimationFrame(step);
      this.#draw(now);
    };
    this.#handle = requestAnimationFrame(step);
  }

  hostDisconnected(): void {
    cancelAnimationFrame(this.#handle);
    this.#handle = 0;
  }
}
