/**
 * The fake workspace as a web page: each conversation's messages as the bot last wrote them (the
 * latest version, with thread replies), their buttons as forms that click as the person chosen, the
 * ephemeral answers each person got, and the modals open for them. Plain HTML, refreshed every few
 * seconds, so a newcomer sees a gate's message change when a button moves the case.
 */
import { type FakeMessage, type FakeWorkspace, buttonsOf } from './workspace';

export function renderPage(workspace: FakeWorkspace): string {
  const people = workspace.users.map((u) => `<option value="${html(u.id)}">${html(u.name)} (${html(u.id)})</option>`).join('');
  const conversations = workspace.conversations
    .map((conversation) => {
      const top = workspace.messages.filter((m) => m.conversation === conversation && !m.threadTs);
      const body = top.length === 0 ? '<p class="quiet">No messages yet: post an alert whose playbook notifies a slack-app channel.</p>' : top.map((m) => renderMessage(workspace, m, people)).join('');
      return `<section><h2>#${html(conversation)}</h2>${body}</section>`;
    })
    .join('');
  const ephemerals = workspace.ephemerals
    .slice(-20)
    .reverse()
    .map((e) => `<li><b>only ${html(workspace.user(e.user)?.name ?? e.user)} sees:</b> ${mrkdwn(e.text)}</li>`)
    .join('');
  const modals = workspace.views
    .slice(-5)
    .reverse()
    .map(
      (v) =>
        `<form method="post" action="/__fake/submit"><input type="hidden" name="page" value="1"><input type="hidden" name="user" value="${html(v.user)}">` +
        `<b>${html(workspace.user(v.user)?.name ?? v.user)}: ${html(String((v.view.title as { text?: string } | undefined)?.text ?? 'modal'))}</b> ` +
        `<input name="reason" placeholder="Why?" required> <button>${html(String((v.view.submit as { text?: string } | undefined)?.text ?? 'Submit'))}</button></form>`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="4"><title>fake Slack · phasegate</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}section{margin-bottom:2em}.msg{border:1px solid #ddd;border-radius:6px;padding:.8em;margin:.6em 0}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:.4em}.ctx{color:#666;font-size:12px}.quiet{color:#888}.reply{margin-left:2em;border-left:3px solid #ddd;padding-left:.6em}
button{margin-right:.4em}.primary{background:#007a5a;color:#fff}.danger{background:#e01e5a;color:#fff}form{display:inline}</style></head>
<body><h1>fake Slack: workspace ${html(workspace.team)}</h1>
<p class="quiet">A local stand-in for Slack (phasegate dev --slack-fake). Buttons send signed clicks to phasegate as the person you choose.</p>
${modals ? `<h3>Open modals</h3>${modals}` : ''}${ephemerals ? `<h3>Ephemeral answers</h3><ul>${ephemerals}</ul>` : ''}${conversations}</body></html>`;
}

function renderMessage(workspace: FakeWorkspace, message: FakeMessage, people: string): string {
  const latest = message.versions.at(-1)!;
  const parts = latest.blocks.map((block) => {
    const b = block as { type?: string; text?: { text?: string }; fields?: Array<{ text?: string }>; elements?: Array<{ text?: string }> };
    switch (b.type) {
      case 'header':
        return `<h3>${html(b.text?.text ?? '')}</h3>`;
      case 'section':
        return `${b.text ? `<p>${mrkdwn(b.text.text ?? '')}</p>` : ''}${b.fields ? `<div class="fields">${b.fields.map((f) => `<div>${mrkdwn(f.text ?? '')}</div>`).join('')}</div>` : ''}`;
      case 'context':
        return `<p class="ctx">${(b.elements ?? []).map((e) => mrkdwn(e.text ?? '')).join(' ')}</p>`;
      default:
        return '';
    }
  });
  const buttons = buttonsOf(latest.blocks);
  const actions =
    buttons.length === 0
      ? ''
      : `<form method="post" action="/__fake/click"><input type="hidden" name="page" value="1"><input type="hidden" name="ts" value="${html(message.ts)}">` +
        `<input type="hidden" name="conversation" value="${html(message.conversation)}">click as <select name="user">${people}</select> ` +
        buttons
          .map((b) => {
            const action = b.action_id === 'phasegate-approve' ? 'approve' : b.action_id === 'phasegate-reject' ? 'reject' : 'reject-with-reason';
            return `<button name="action" value="${action}" class="${html(b.style ?? '')}">${html(String((b.text as { text?: string } | undefined)?.text ?? action))}</button>`;
          })
          .join('') +
        '</form>';
  const replies = workspace.messages
    .filter((m) => m.threadTs === message.ts)
    .map((m) => `<p class="reply">${mrkdwn(m.versions.at(-1)!.text)}</p>`)
    .join('');
  const edited = message.versions.length > 1 ? ` · edited ${message.versions.length - 1}×` : '';
  return `<div class="msg">${parts.join('')}${actions}${replies}<p class="ctx">ts ${html(message.ts)}${edited}</p></div>`;
}

/** Enough of Slack's mrkdwn to read a phasegate message: dates, bold, code, newlines, the three escapes. */
function mrkdwn(text: string): string {
  const dated = text.replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1');
  const unescaped = dated.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return html(unescaped)
    .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/:white_check_mark:/g, '✔')
    .replace(/:x:/g, '✘')
    .replace(/:no_entry:/g, '⊘')
    .replace(/:information_source:/g, 'ℹ')
    .replace(/:warning:/g, '⚠')
    .replace(/\n/g, '<br>');
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
