import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ContextConsumer, ContextRoot } from '@lit/context';
import { sessionContext, type LipsyncSessionContext, type SessionSnapshot } from '../context/session-context.js';

const ROOT_FLAG = Symbol.for('lipsync-elements.context-root');

/**
 * Views upgraded before their session element still find it: a context root on the document
 * keeps their requests and replays them when the session appears. Attached by the first view.
 */
function ensureContextRoot(doc: Document): void {
  const flagged = doc as Document & { [ROOT_FLAG]?: true };
  if (flagged[ROOT_FLAG] || !doc.documentElement) return;
  flagged[ROOT_FLAG] = true;
  new ContextRoot().attach(doc.documentElement);
}

/**
 * Connects a view to the `<lipsync-session>` it sits in: finds the context by DOM ancestry,
 * subscribes to its low-rate snapshot and re-renders the host on change.
 */
export class SessionController implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  #session: LipsyncSessionContext | undefined;
  #unsubscribe: (() => void) | undefined;
  /** The latest snapshot, or undefined while no session is found. */
  snapshot: SessionSnapshot | undefined;

  constructor(host: ReactiveControllerHost & HTMLElement) {
    this.#host = host;
    // Added before the consumer, so the root is in place when the consumer first asks.
    host.addController(this);
    new ContextConsumer(host, {
      context: sessionContext,
      subscribe: true,
      callback: (session) => this.#attach(session),
    });
  }

  /** The session's context, once found. */
  get session(): LipsyncSessionContext | undefined {
    return this.#session;
  }

  #attach(session: LipsyncSessionContext | undefined): void {
    if (session === this.#session) return;
    this.#unsubscribe?.();
    this.#session = session;
    this.snapshot = session?.getState();
    this.#unsubscribe = session?.subscribe((state) => {
      this.snapshot = state;
      this.#host.requestUpdate();
    });
    this.#host.requestUpdate();
  }

  hostConnected(): void {
    ensureContextRoot(this.#host.ownerDocument);
  }

  hostDisconnected(): void {
    // The consumer asks again on reconnection; drop the old session until it answers.
    this.#attach(undefined);
  }
}
