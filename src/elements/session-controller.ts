import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ContextConsumer, ContextRoot } from '@lit/context';
import { sessionContext, type LipsyncSessionContext, type SessionSnapshot } from '../context/session-context.js';

const ROOT_FLAG = Symbol.for('lipsync-elements.context-root');
/** How often a view named by `session="id"` looks again for a session that is not there yet. */
const LOOKUP_EVERY_MS = 250;

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

/** What a `<lipsync-session>` offers a view that names it by id. */
interface SessionHost extends Element {
  readonly sessionContext?: LipsyncSessionContext;
}

/**
 * Connects a view to its `<lipsync-session>`: the one named by `session="id"` when set, else the
 * nearest ancestor through the context. Subscribes to the low-rate snapshot and re-renders the
 * host on change.
 */
export class SessionController implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  readonly #sessionId: () => string | null;
  #fromContext: LipsyncSessionContext | undefined;
  #session: LipsyncSessionContext | undefined;
  #unsubscribe: (() => void) | undefined;
  #lookupAt = 0;
  /** The session element found by id, while it is one. */
  #byIdElement: Element | undefined;
  /** The latest snapshot, or undefined while no session is found. */
  snapshot: SessionSnapshot | undefined;

  constructor(host: ReactiveControllerHost & HTMLElement, sessionId: () => string | null = () => null) {
    this.#host = host;
    this.#sessionId = sessionId;
    // Added before the consumer, so the root is in place when the consumer first asks.
    host.addController(this);
    new ContextConsumer(host, {
      context: sessionContext,
      subscribe: true,
      callback: (session) => {
        this.#fromContext = session;
        this.#resolve();
      },
    });
  }

  /** The session's context, once found. */
  get session(): LipsyncSessionContext | undefined {
    // Named by id: look again until found, and again once it leaves the page (it may be replaced).
    if (!this.#byIdElement?.isConnected && this.#sessionId() && this.#host.isConnected) {
      const now = performance.now();
      if (now - this.#lookupAt > LOOKUP_EVERY_MS) {
        this.#lookupAt = now;
        this.#resolve();
      }
    }
    return this.#session;
  }

  #byId(): LipsyncSessionContext | undefined {
    const id = this.#sessionId();
    if (!id) return undefined;
    const root = this.#host.getRootNode() as Document | ShadowRoot;
    const el = (root.getElementById?.(id) ?? document.getElementById(id)) as SessionHost | null;
    this.#byIdElement = el?.localName === 'lipsync-session' ? el : undefined;
    return this.#byIdElement && el!.sessionContext;
  }

  #resolve(): void {
    const session = this.#sessionId() ? this.#byId() : this.#fromContext;
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
    this.#resolve();
  }

  hostUpdate(): void {
    // `session` may have changed.
    this.#resolve();
  }

  hostDisconnected(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#session = undefined;
    this.#fromContext = undefined;
    this.snapshot = undefined;
  }
}
