/*
 * Chronicle chat widget: paste the embed code's <script> tag into a page and a chat bubble appears.
 *   <script src=".../embed/chronicle-chat-widget.js" data-embed-id="<uuid>" data-base-api-url=".../api/embed"></script>
 * Self-contained (no framework, no build step); styles live in a shadow root so the page's CSS and
 * the widget's never meet. Answers stream from the public endpoint as Server-Sent Events over fetch.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script) return;
  var embedId = script.getAttribute('data-embed-id');
  if (!embedId) {
    console.error('Chronicle chat widget: the script tag has no data-embed-id.');
    return;
  }
  var apiBase = (
    script.getAttribute('data-base-api-url') || new URL(script.src, location.href).origin + '/api/embed'
  ).replace(/\/+$/, '');
  var endpoint = apiBase + '/' + encodeURIComponent(embedId);

  var UNREACHABLE = 'The chat could not be reached from this page. This site may not be allowed to use it.';
  var FAILED = 'The answer could not be completed. Please try again later.';

  // ---- session: one per browser and config, kept across visits.
  var sessionKey = 'chronicle-chat-session:' + embedId;
  // The id is what lets this browser read its history, so it is a random (version 4) UUID, which the
  // server requires: randomUUID where the page is a secure context, else the same from getRandomValues.
  var SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
  function newSessionId() {
    if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(b, function (x) {
        return (x + 0x100).toString(16).slice(1);
      })
      .join('');
    return (
      hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20)
    );
  }
  function sessionId() {
    var id = null;
    try {
      id = localStorage.getItem(sessionKey);
    } catch (e) {
      /* storage blocked: a session per page view */
    }
    if (!id || !SESSION_ID.test(id)) {
      id = newSessionId();
      try {
        localStorage.setItem(sessionKey, id);
      } catch (e) {
        /* as above */
      }
    }
    return id;
  }
  var session = sessionId();

  // ---- DOM
  var host = document.createElement('div');
  host.setAttribute('data-chronicle-chat', embedId);
  var root = host.attachShadow({ mode: 'open' });
  root.innerHTML =
    '<style>' +
    ':host{all:initial}' +
    '.bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;' +
    'background:#2b59c3;color:#fff;font:600 24px/1 system-ui,sans-serif;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646}' +
    '.bubble:focus-visible,.send:focus-visible,textarea:focus-visible{outline:3px solid #f5a623;outline-offset:2px}' +
    '.panel{position:fixed;right:20px;bottom:88px;width:min(360px,calc(100vw - 40px));height:min(480px,calc(100vh - 120px));' +
    'display:flex;flex-direction:column;background:#fff;color:#1d1d1f;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);' +
    'font:14px/1.45 system-ui,sans-serif;z-index:2147483647;overflow:hidden}' +
    '.panel[hidden]{display:none}' +
    'header{padding:12px 14px;background:#2b59c3;color:#fff;font-weight:600}' +
    '.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}' +
    '.msg{max-width:85%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}' +
    '.user{align-self:flex-end;background:#2b59c3;color:#fff}' +
    '.assistant{align-self:flex-start;background:#f0f2f5}' +
    '.error{align-self:stretch;background:#fdecea;color:#8a1c12;border:1px solid #f5c2bd}' +
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #e3e5e8}' +
    'textarea{flex:1;resize:none;height:40px;padding:8px;border:1px solid #c8ccd1;border-radius:8px;font:inherit}' +
    '.send{border:0;border-radius:8px;padding:0 14px;background:#2b59c3;color:#fff;font:inherit;font-weight:600;cursor:pointer}' +
    '.send:disabled{opacity:.5;cursor:default}' +
    '</style>' +
    '<div class="panel" role="dialog" aria-label="Chat with us" hidden>' +
    '  <header id="title">Chat with us</header>' +
    '  <div class="log" role="log" aria-live="polite" aria-labelledby="title"></div>' +
    '  <form>' +
    '    <textarea aria-label="Your message" placeholder="Ask a question…" maxlength="10000"></textarea>' +
    '    <button class="send" type="submit" aria-label="Send message">Send</button>' +
    '  </form>' +
    '</div>' +
    '<button class="bubble" type="button" aria-label="Open chat" aria-expanded="false">💬</button>';

  var bubble = root.querySelector('.bubble');
  var panel = root.querySelector('.panel');
  var log = root.querySelector('.log');
  var form = root.querySelector('form');
  var input = root.querySelector('textarea');
  var send = root.querySelector('.send');
  var busy = false;
  var historyLoaded = false;

  function addMessage(kind, text) {
    var el = document.createElement('div');
    el.className = 'msg ' + kind;
    if (kind === 'error') el.setAttribute('role', 'alert');
    el.textContent = text;
    log.appendChild(el);
    log.scrollTop = log.scrollHeight;
    return el;
  }

  function setOpen(open) {
    panel.hidden = !open;
    bubble.setAttribute('aria-expanded', String(open));
    bubble.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
    bubble.textContent = open ? '×' : '💬';
    if (open) {
      if (!historyLoaded) loadHistory();
      input.focus();
    }
  }

  /** The error a refused request names ({"error"} for limits, {"detail"} for 403/404), or a fallback. */
  function errorOf(res) {
    return res.text().then(function (text) {
      try {
        var body = JSON.parse(text);
        if (body && typeof body.error === 'string') return body.error;
        if (res.status === 404) return 'This chat is not available.';
        if (res.status === 403) return 'This site is not allowed to use this chat.';
        if (body && typeof body.detail === 'string') return body.detail;
      } catch (e) {
        /* not JSON */
      }
      return FAILED;
    });
  }

  function loadHistory() {
    historyLoaded = true;
    fetch(endpoint + '/' + encodeURIComponent(session) + '/', { headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok)
          return errorOf(res).then(function (message) {
            addMessage('error', message);
          });
        return res.json().then(function (chats) {
          (Array.isArray(chats) ? chats : []).forEach(function (chat) {
            addMessage('user', chat.prompt);
            addMessage('assistant', chat.response);
          });
        });
      })
      .catch(function () {
        addMessage('error', UNREACHABLE);
      });
  }

  /** Reads `data:` frames off an SSE response body as they arrive. */
  function readFrames(res, onFrame) {
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    var buffer = '';
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, '\n');
        var end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          var block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          var data = block
            .split('\n')
            .filter(function (l) {
              return l.indexOf('data:') === 0;
            })
            .map(function (l) {
              return l.slice(5).replace(/^ /, '');
            })
            .join('\n');
          if (!data) continue;
          try {
            onFrame(JSON.parse(data));
          } catch (e) {
            /* a malformed frame is skipped */
          }
        }
        return pump();
      });
    }
    return pump();
  }

  function ask(message) {
    busy = true;
    send.disabled = true;
    addMessage('user', message);
    var answer = null;
    var ended = false;
    fetch(endpoint + '/stream-chat/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ session_id: session, message: message }),
    })
      .then(function (res) {
        if (!res.ok || (res.headers.get('Content-Type') || '').indexOf('text/event-stream') !== 0) {
          return errorOf(res).then(function (m) {
            addMessage('error', m);
            ended = true;
          });
        }
        return readFrames(res, function (frame) {
          if (frame.type === 'stream' && typeof frame.token === 'string') {
            if (!answer) answer = addMessage('assistant', '');
            answer.textContent += frame.token;
            log.scrollTop = log.scrollHeight;
          } else if (frame.type === 'complete') {
            ended = true;
            if (!answer) addMessage('assistant', '');
          } else if (frame.type === 'error') {
            ended = true;
            addMessage('error', typeof frame.error === 'string' ? frame.error : FAILED);
          }
        }).then(function () {
          if (!ended) addMessage('error', FAILED);
        });
      })
      .catch(function () {
        addMessage('error', answer ? FAILED : UNREACHABLE);
      })
      .then(function () {
        busy = false;
        send.disabled = false;
        input.focus();
      });
  }

  bubble.addEventListener('click', function () {
    setOpen(panel.hidden);
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var message = input.value.trim();
    if (!message || busy) return;
    input.value = '';
    ask(message);
  });
  // Enter sends; Shift+Enter starts a new line.
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit();
      else form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      setOpen(false);
      bubble.focus();
    }
  });

  function mount() {
    document.body.appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
