"""The page's look (CSS) and the one script it runs (the source panel's click handler)."""

from __future__ import annotations

#: Runs in the source panel: a click on any ``a.qa-ref`` (chat or panel) asks the server
#: for that span; after the panel re-renders, its ``<mark>`` is scrolled into view.
PANEL_JS = """
window.qaShowRef = trigger;
if (!window.qaRefListener) {
  window.qaRefListener = (event) => {
    const link = event.target.closest && event.target.closest('a.qa-ref');
    if (!link) return;
    event.preventDefault();
    window.qaShowRef('select', {ref: link.getAttribute('href')});
  };
  document.addEventListener('click', window.qaRefListener);
}
watch('value', () => {
  const mark = element.querySelector('mark.qa-cited');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'smooth'});
});
"""

CSS = """
#qa-header { padding: .2em 0 .1em 0; }
.qa-header { display: flex; flex-wrap: wrap; gap: .15em .6em; align-items: baseline; }
.qa-title { font-size: 1.25em; font-weight: 700; }
.qa-folder { font-weight: 600; overflow-wrap: anywhere; }
.qa-path { font-size: .8em; opacity: .7; font-family: var(--font-mono); overflow-wrap: anywhere; }
.qa-files, .qa-mode { font-size: .9em; }
.qa-mode { padding: .05em .5em; border-radius: 999px;
  border: 1px solid var(--border-color-primary); }
.qa-msg { line-height: 1.5; }
.qa-text { margin: 0 0 .4em 0; }
.qa-ref { text-decoration: none; cursor: pointer; }
.qa-marker { font-weight: 600; margin-left: .2em; color: var(--color-accent); }
.qa-chips, .qa-related { display: flex; flex-wrap: wrap; gap: .35em; align-items: center; }
.qa-chip {
  display: inline-block; padding: .1em .55em; border-radius: 999px; font-size: .85em;
  border: 1px solid var(--border-color-accent); color: var(--body-text-color);
  background: var(--background-fill-secondary); overflow-wrap: anywhere;
}
.qa-chip:hover, .qa-chip.qa-current { border-color: var(--color-accent); }
.qa-chip.qa-current { font-weight: 600; }
.qa-agree { font-size: .85em; color: #15803d; }
.qa-differ { border-left: 3px solid #d97706; padding-left: .6em; }
.qa-removed { font-size: .8em; color: #6b7280; margin-top: .4em; }
.qa-searched { font-size: .8em; opacity: .75; margin-bottom: .3em; }
#qa-chat [data-testid="bot"]:has(.qa-tentative) {
  border: 1px dotted #4f46e5; background: rgba(79, 70, 229, .07);
}
.qa-tier { display: inline-block; font-size: .78em; font-weight: 600; color: #4338ca;
  border: 1px solid #a5b4fc; border-radius: 999px; padding: 0 .5em; margin: 0 0 .3em 0; }
.qa-tentative .qa-text { font-style: italic; }
#qa-chat [data-testid="bot"]:has(.qa-abstain) {
  border: 1px dashed #d97706; background: rgba(217, 119, 6, .08);
}
.qa-abstain-head { font-style: italic; font-weight: 600; margin: 0 0 .3em 0; }
.qa-abstain-head::before { content: "∅ "; }
.qa-why { font-size: .85em; margin: 0 0 .2em 0; }
.qa-passages { margin: 0; padding-left: 1.3em; font-size: .85em; }
.qa-passages li { margin-bottom: .35em; }
.qa-snippet { display: block; opacity: .8; }
.qa-pending { opacity: .6; font-style: italic; }
.qa-error, .qa-status-error { color: #b91c1c; }
.qa-panel-hint { opacity: .7; padding: 1em; }
.qa-source-head { display: flex; flex-wrap: wrap; gap: .2em .8em; align-items: baseline;
  position: sticky; top: 0; z-index: 1; padding: .6em 0 .4em 0; margin-bottom: .4em;
  background: var(--block-background-fill); border-bottom: 1px solid var(--border-color-primary); }
.qa-kind { width: 100%; font-size: .85em; opacity: .75; }
.qa-source-name { font-weight: 600; overflow-wrap: anywhere; }
.qa-offsets { font-size: .85em; font-family: var(--font-mono); }
.qa-related { width: 100%; font-size: .9em; }
.qa-related .qa-chip { font-size: .95em; }
.qa-source { padding: 0 .9em .9em .9em; max-height: min(640px, 75vh); overflow-y: auto; }
.qa-source-text { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.55;
  font-size: .92em; }
mark.qa-cited { background: #fde68a; color: #111; padding: 0 .1em; border-radius: 3px;
  scroll-margin: 4em; }
.qa-status { padding: .3em 0; }
#qa-source { min-height: 200px; }
"""
