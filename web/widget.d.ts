// Type declarations for widget.js, the embeddable chat widget.
//
//   <script src="https://WORKER/widget.js" defer></script>
//   <script>
//     window.addEventListener("DOMContentLoaded", () => ChatWidget.init({ token: "pk_..." }));
//   </script>

/** What the page knows about a logged-in user, sent from the browser: non-verified. */
export interface ChatWidgetUserData {
  name?: string;
  /** Must be a valid email address when given. */
  email?: string;
  /** An absolute http(s) URL; stored in the contact's non-verified custom data as `avatar_url`. */
  avatarUrl?: string;
  /** A JSON object of at most 50 keys, 8 KiB serialized, nested at most 3 levels; stored as `non_verified_custom_data`. */
  customData?: Record<string, unknown>;
}

/** `user`: exactly one of `token` (verified) or `data` (non-verified). */
export type ChatWidgetUser =
  | { /** A verified user token from your server's `POST /v1/users/authenticate`. */ token: string; data?: never }
  | { data: ChatWidgetUserData; token?: never };

/** The config of `ChatWidget.init`. A config that cannot work is refused with a console error naming the option. */
export interface ChatWidgetConfig {
  /** The org's widget token, `pk_` followed by at least 24 URL-safe characters. Required. */
  token: string;
  /** The worker's base URL; defaults to the origin widget.js was loaded from. */
  apiUrl?: string;
  /** Ask name and email before the first chat (non-verified). */
  collectUserData?: boolean;
  /** Fills the collectUserData form. */
  prefillUserData?: { name?: string; email?: string };
  /** A verified user (`{token}`) or user data from the browser (`{data}`). */
  user?: ChatWidgetUser;
  /** The org's workspace id: sessions are created in it and listed from it. At most 256 printable characters. */
  externalId?: string;
  /**
   * Returns a fresh verified user token when the current one has expired or was
   * revoked (or, alone, the first one). Not allowed with `user.data`. One that has not
   * answered within 15 s counts as a refusal; the next request asks again.
   */
  getToken?: () => string | Promise<string>;
  /** With a verified user: carry this device's anonymous chats into their account.
   * "never" (default), "ask" (once per user and device, with the count), or "always". */
  claimChats?: "never" | "ask" | "always";
}

export interface ChatWidgetAPI {
  /**
   * Shows the launcher, loads the widget core and validates the config. Resolves to
   * true once the core has accepted the config, or to false when it was refused (the
   * reason is logged with console.error and the page is left as it was: a launcher
   * shown early is taken away again). The launcher shows at once when the config
   * passes a quick check, before the core is ready; otherwise after the core has
   * accepted it. Calling it again replaces the widget, for example after the page's
   * user logged in or out.
   */
  init(config: ChatWidgetConfig): Promise<boolean>;
  /** Opens the chat panel (showing "Connecting…" until the core is ready). */
  open(): void;
  /** Closes the chat panel. */
  close(): void;
  /**
   * Forgets the visitor on this browser: the contact token, the device id, unsent
   * messages and the config's user. The next visitor starts clean. Called before
   * `init`, with no widget token to name the org, it forgets the widget's storage
   * of every org on this browser (`chatwidget:*` in localStorage).
   */
  logout(): void;
  /**
   * Erases this device's chats and contact on the worker (`DELETE /v1/widget/me`
   * with the contact token), then does what `logout()` does. Resolves once the
   * worker accepted the erasure (it completes in the background); rejects, and
   * forgets nothing, when the worker could not be reached. A verified user's chats
   * are not erased by it: the org's server deletes its users.
   */
  forget(): Promise<void>;
}

declare global {
  interface Window {
    ChatWidget: ChatWidgetAPI;
  }
  const ChatWidget: ChatWidgetAPI;
}
