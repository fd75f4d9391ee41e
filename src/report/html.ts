// The report as one self-contained HTML page: inline CSS, inline SVG and one small inline script
// (sorting and filtering the points table); nothing is fetched, so it works offline.

import type { ReportModel } from './facts.ts';
import { escapeHtml as esc } from './format.ts';
import { type Block, type Cell, reportSections } from './sections.ts';

const CSS = `body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#222;line-height:1.4}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;max-width:100%}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f4f4f4}th.sort{cursor:pointer}th.sort:after{content:" ⇅";color:#999}
.wrap{max-height:32rem;overflow-y:auto}span[title]{border-bottom:1px dotted #888;cursor:help}
input{margin:.3rem 0;padding:.2rem;width:20rem;max-width:100%}svg{display:block;margin:.5rem 0;max-width:100%;height:auto}figure{margin:0}
nav a{margin-right:.8rem}`;

// Sorting by a cell's data-sort (or its text, numerically when both look like numbers); filtering by substring.
const SCRIPT = `(function(){var t=document.getElementById('points-table');if(!t)return;var b=t.tBodies[0];
var rows=Array.prototype.slice.call(b.rows);var f=document.getElementById('points-filter');
f.addEventListener('input',function(){var q=f.value.toLowerCase();var shown=0;rows.forEach(function(r){var v=r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=v?'':'none';if(v)shown++;});document.getElementById('points-shown').textContent=shown+'/'+rows.length;});
Array.prototype.forEach.call(t.tHead.rows[0].cells,function(h,i){h.className='sort';var asc=true;h.addEventListener('click',function(){
var key=function(r){var c=r.cells[i];return c.getAttribute('data-sort')||c.textContent;};
rows.sort(function(x,y){var a=key(x),b2=key(y),na=parseFloat(a),nb=parseFloat(b2);var d=(!isNaN(na)&&!isNaN(nb))?na-nb:(a<b2?-1:a>b2?1:0);return asc?d:-d;});
asc=!asc;rows.forEach(function(r){b.appendChild(r);});});});})();`;

function cell(x: Cell, tag: 'td' | 'th'): string {
  const sort = x.sort === undefined ? '' : ` data-sort="${esc(x.sort)}"`;
  const text =
    x.exact === undefined ? esc(x.text) : `<span title="exact: ${esc(x.exact)}">${esc(x.text)}</span>`;
  return `<${tag}${sort}>${text}</${tag}>`;
}

function block(b: Block): string {
  switch (b.kind) {
    case 'p':
      return `<p>${esc(b.text).replace(/`([^`]*)`/g, '<code>$1</code>')}</p>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
    case 'svg':
      return `<figure>${b.svg}</figure>`;
    case 'table': {
      const head = b.head.every((h) => h === '')
        ? ''
        : `<thead><tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
      const body = `<tbody>${b.rows.map((r) => `<tr>${r.map((x) => cell(x, 'td')).join('')}</tr>`).join('\n')}</tbody>`;
      if (!b.interactive) return `<table>${head}${body}</table>`;
      return `<label>Filter points: <input id="points-filter" type="search" placeholder="e.g. unresolved, yes, 7"></label> <span id="points-shown">${b.rows.length}/${b.rows.length}</span>
<div class="wrap"><table id="points-table">${head}${body}</table></div>`;
    }
  }
}

/** The HTML report: one page, no external resource. */
export function renderHtml(m: ReportModel): string {
  const sections = reportSections(m);
  const nav = sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join('');
  const body = sections
    .map((s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2>\n${s.blocks.map(block).join('\n')}</section>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>tropcert audit</title><style>${CSS}</style></head>
<body><h1>tropcert audit</h1>
<p>Every count is out of its total; <code>≈</code> marks a decimal approximation of an exact value: hover it for the exact value (also in the REPORT JSON).</p>
<nav>${nav}</nav>
${body}
<script>${SCRIPT}</script>
</body></html>
`;
}
