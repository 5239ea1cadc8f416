const escapeAttribute = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The tag a site pastes to show the widget: the script from this server, told which config and API to use. */
export function embedSnippet(baseUrl: string, uuid: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return (
    `<script src="${escapeAttribute(`${base}/embed/chronicle-chat-widget.js`)}" data-embed-id="${escapeAttribute(uuid)}" ` +
    `data-base-api-url="${escapeAttribute(`${base}/api/embed`)}"></script>`
  );
}
