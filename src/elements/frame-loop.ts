import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { SharedLoop } from '../core/shared-loop.js';

/** The page's one animation-frame loop: every connected view draws in the same callback. */
export const animationFrames = new SharedLoop<number>((run) => {
  let handle = 0;
  const step = (now: number) => {
    handle = requestAnimationFrame(step);
    run(now);
  };
  handle = requestAnimationFrame(step);
  return () => cancelAnimationFrame(handle);
});

/** Calls `draw(now)` on every animation frame while the host is connected. */
export class FrameLoop implements ReactiveController {
  readonly #draw: (now: number) => void;

  constructor(host: ReactiveControllerHost, draw: (now: number) => void) {
    this.#draw = draw;
    host.addController(this);
  }

  hostConnected(): void {
    animationFrames.add(this.#draw);
  }

  hostDisconnected(): void {
    animationFrames.delete(this.#draw);
  }
}
