/**
 * A host page for the result view that follows the MCP Apps message sequence (SEP-1865): the
 * view in a sandboxed iframe (allow-scripts only), ui/initialize answered with the host's
 * context, then the tool input and the tool result; the view's first size-changed after the
 * result marks it drawn (renderedIn: milliseconds from sending the result).
 */
export const VIEW_HOST = `<!doctype html><html><head><title>host</title></head><body style="margin:0;background:#eee">
<iframe id="view" sandbox="allow-scripts" style="width:820px;height:640px;border:0;background:white"></iframe>
<script>
const frame = document.getElementById('view');
window.hostLog = [];
const post = (m) => frame.contentWindow.postMessage(Object.assign({ jsonrpc: '2.0' }, m), '*');
window.startHost = (html, input, result, context) => new Promise((done) => {
  window.addEventListener('message', (e) => {
    if (e.source !== frame.contentWindow) return;
    const m = e.data || {};
    window.hostLog.push(typeof e.data === 'string' ? 'text:' + e.data : m.method || 'response');
    if (m.method === 'ui/initialize') post({ id: m.id, result: { protocolVersion: '2026-01-26', hostInfo: { name: 'test-host', version: '1' }, hostCapabilities: {}, hostContext: context } });
    else if (m.method === 'ui/notifications/initialized') { post({ method: 'ui/notifications/tool-input', params: { arguments: input } }); window.sentAt = performance.now(); post({ method: 'ui/notifications/tool-result', params: result }); }
    else if (m.method === 'ui/notifications/size-changed') { window.lastSize = m.params; window.renderedIn = performance.now() - window.sentAt; done(); }
  });
  frame.srcdoc = html;
});
window.changeContext = (ctx) => post({ method: 'ui/notifications/host-context-changed', params: ctx });
</script></body></html>`;
