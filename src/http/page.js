// newsindex search page: plain JS, no build step, no external requests.
// The whole state lives in the URL (/?q=cocoa&tag=crude&from=1987-03-01&sort=newest&page=2).
(function () {
  'use strict';

  var PAGE_SIZE = 10;
  var MAX_OFFSET = 10000;
  var LISTS = ['author', 'tag', 'entity', 'language'];
  var KEY_STORE = 'newsindex.key';
  var FACETS = [
    { key: 'tags', param: 'tag', label: 'Tags', tree: true },
    { key: 'authors', param: 'author', label: 'Authors' },
    { key: 'entities.place', param: 'entity', label: 'Places' },
    { key: 'entities.person', param: 'entity', label: 'People' },
    { key: 'entities.org', param: 'entity', label: 'Organisations' },
    { key: 'languages', param: 'language', label: 'Languages' }
  ];
  var KIND_LABEL = { author: 'Author', tag: 'Tag', entity: 'Entity', language: 'Language' };

  function $(id) { return document.getElementById(id); }

  // ---- small DOM helpers: text is always inserted as text ---------------------------------
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') node.textContent = v;
        else if (k === 'class') node.className = v;
        else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === 'string' || typeof child === 'number'
      ? document.createTextNode(String(child)) : child);
  }
  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }
  // The server's snippets are HTML-escaped with <mark> around matches. Insert them as HTML,
  // but keep only <mark> (anything else becomes its text), as a second line of defence.
  function markedHtml(node, html) {
    var t = document.createElement('template');
    t.innerHTML = html;
    (function clean(parent) {
      Array.prototype.slice.call(parent.childNodes).forEach(function (c) {
        if (c.nodeType === 1) {
          if (c.tagName === 'MARK') {
            while (c.attributes.length) c.removeAttribute(c.attributes[0].name);
            clean(c);
          } else {
            parent.replaceChild(document.createTextNode(c.textContent), c);
          }
        } else if (c.nodeType !== 3) {
          parent.removeChild(c);
        }
      });
    })(t.content);
    node.appendChild(t.content);
    return node;
  }
  function fmtInt(n) { return Number(n || 0).toLocaleString('en-US'); }
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function fmtDate(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    var hh = String(d.getUTCHours()).padStart(2, '0');
    var mm = String(d.getUTCMinutes()).padStart(2, '0');
    return d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()] + ' ' + d.getUTCFullYear() + ', ' + hh + ':' + mm + ' UTC';
  }
  function fmtDay(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()] + ' ' + d.getUTCFullYear();
  }

  // ---- keys -------------------------------------------------------------------------------
  function getKey() {
    try { return localStorage.getItem(KEY_STORE) || ''; } catch (e) { return memKey; }
  }
  var memKey = '';
  function setKey(k) {
    memKey = k;
    try { if (k) localStorage.setItem(KEY_STORE, k); else localStorage.removeItem(KEY_STORE); } catch (e) { /* private mode */ }
  }

  // ---- the API ----------------------------------------------------------------------------
  function ApiError(code, message, status) {
    this.code = code; this.message = message; this.status = status;
  }
  function api(path, opts) {
    var headers = { Accept: 'application/json' };
    var key = getKey();
    if (key) headers.Authorization = 'Bearer ' + key;
    return fetch(path, { headers: headers, signal: opts && opts.signal }).then(function (r) {
      return r.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!r.ok) {
          var e = body && body.error;
          throw new ApiError((e && e.code) || 'http_' + r.status,
            (e && e.message) || (r.status + ' ' + r.statusText), r.status);
        }
        if (body === null) throw new ApiError('bad_response', 'the server did not answer JSON', r.status);
        return body;
      });
    }, function (err) {
      if (err && err.name === 'AbortError') throw err;
      throw new ApiError('network', 'could not reach the server (' + (err && err.message || err) + ')', 0);
    });
  }
  function showError(err, what) {
    if (err && err.name === 'AbortError') return;
    var box = $('message');
    box.textContent = '';
    var code = err && err.code ? err.code : 'error';
    append(box, [el('strong', { text: (what ? what + ' failed' : 'Error') + ': ' }),
      (err && err.message) || String(err), ' ', el('span', { class: 'hint', text: '(' + code + ')' })]);
    if (err && (err.status === 401 || err.status === 403)) {
      append(box, [' ', el('a', { href: '#key', text: 'Enter an API key', onclick: function (ev) {
        ev.preventDefault(); $('keybox').open = true; $('key').focus();
      } })]);
    }
    box.hidden = false;
  }
  function clearError() { var box = $('message'); box.hidden = true; box.textContent = ''; }

  // ---- state <-> URL -----------------------------------------------------------------------
  function emptyState() {
    return { q: '', author: [], tag: [], entity: [], language: [], from: '', to: '', sort: 'relevance', page: 1, article: '' };
  }
  function validDate(s) { return s && /^\d{4}-\d{2}-\d{2}$/.test(s) && !isNaN(Date.parse(s)) ? s : ''; }
  function readUrl() {
    var p = new URLSearchParams(location.search);
    var s = emptyState();
    s.q = p.get('q') || '';
    LISTS.forEach(function (k) {
      var seen = {};
      s[k] = p.getAll(k).filter(function (v) { if (!v || seen[v]) return false; seen[v] = 1; return true; });
    });
    s.from = validDate(p.get('from'));
    s.to = validDate(p.get('to'));
    var sort = p.get('sort');
    s.sort = sort === 'newest' || sort === 'oldest' ? sort : 'relevance';
    var page = parseInt(p.get('page'), 10);
    s.page = page >= 1 ? page : 1;
    s.article = p.get('article') || '';
    return s;
  }
  function toQuery(s) {
    var p = new URLSearchParams();
    if (s.q) p.set('q', s.q);
    LISTS.forEach(function (k) { s[k].forEach(function (v) { p.append(k, v); }); });
    if (s.from) p.set('from', s.from);
    if (s.to) p.set('to', s.to);
    if (s.sort !== 'relevance') p.set('sort', s.sort);
    if (s.page > 1) p.set('page', String(s.page));
    if (s.article) p.set('article', s.article);
    return p.toString();
  }
  function urlOf(s) { var q = toQuery(s); return q ? '/?' + q : '/'; }
  function withChanges(changes) {
    var s = JSON.parse(JSON.stringify(state));
    Object.keys(changes).forEach(function (k) { s[k] = changes[k]; });
    return s;
  }

  var state = emptyState();
  function navigate(changes, opts) {
    state = withChanges(changes);
    var url = urlOf(state);
    if (opts && opts.replace) history.replaceState(null, '', url);
    else if (url !== location.pathname + location.search) history.pushState(null, '', url);
    render(opts || {});
  }
  function toggleFilter(param, value) {
    var list = state[param].slice();
    var i = list.indexOf(value);
    if (i >= 0) list.splice(i, 1); else list.push(value);
    var c = { page: 1 };
    c[param] = list;
    navigate(c);
  }

  // ---- render -----------------------------------------------------------------------------
  var searchSeq = 0;
  var searchAbort = null;

  function syncControls() {
    if (document.activeElement !== $('q') || !$('q').value) $('q').value = state.q;
    $('sort').value = state.sort;
    $('from').value = state.from;
    $('to').value = state.to;
    $('dates-clear').hidden = !state.from && !state.to;
    document.title = state.q ? state.q + ' \u2013 newsindex' : 'newsindex search';
  }

  function render(opts) {
    syncControls();
    renderChips();
    renderArticle(opts && opts.focusArticle);
    runSearch(opts);
  }

  function granularity(s) {
    if (s.from && s.to) {
      var days = (Date.parse(s.to) - Date.parse(s.from)) / 864e5;
      if (days <= 62) return 'day';
      if (days <= 366) return 'week';
      if (days <= 366 * 8) return 'month';
      return 'year';
    }
    return 'month';
  }

  function searchParams(s) {
    var p = new URLSearchParams();
    p.set('q', s.q);
    LISTS.forEach(function (k) { s[k].forEach(function (v) { p.append(k, v); }); });
    if (s.from) p.set('from', s.from);
    if (s.to) p.set('to', s.to);
    p.set('sort', s.sort);
    p.set('limit', String(PAGE_SIZE));
    p.set('offset', String(Math.min((s.page - 1) * PAGE_SIZE, MAX_OFFSET)));
    p.set('highlight', 'true');
    p.set('facets', FACETS.map(function (f) { return f.key; }).concat(['published_at:' + granularity(s)]).join(','));
    p.set('facet_limit', '12');
    return p;
  }

  function runSearch(opts) {
    var seq = ++searchSeq;
    if (searchAbort) searchAbort.abort();
    searchAbort = typeof AbortController === 'function' ? new AbortController() : null;
    var s = state;
    $('results').setAttribute('aria-busy', 'true');
    document.body.setAttribute('data-loading', 'true');
    api('/search?' + searchParams(s).toString(), { signal: searchAbort && searchAbort.signal }).then(function (res) {
      if (seq !== searchSeq) return;
      clearError();
      renderCount(res, s);
      renderHits(res, s);
      renderPager(res, s);
      renderFacets(res, s);
      renderHistogram(res, s);
      if (opts && opts.focusResults) $('results').focus();
    }).catch(function (err) {
      if (seq !== searchSeq || (err && err.name === 'AbortError')) return;
      $('count').textContent = 'The search failed.';
      $('hits').textContent = '';
      $('pager').textContent = '';
      showError(err, 'Search');
    }).then(function () {
      if (seq !== searchSeq) return;
      $('results').removeAttribute('aria-busy');
      document.body.setAttribute('data-loading', 'false');
      document.body.setAttribute('data-search-seq', String(seq));
    });
  }

  function renderCount(res, s) {
    var n = res.total || 0;
    var txt = fmtInt(n) + (n === 1 ? ' result' : ' results');
    if (s.q) txt += ' for \u201c' + s.q + '\u201d';
    if (n > PAGE_SIZE) {
      var first = (s.page - 1) * PAGE_SIZE + 1;
      var last = Math.min(first + PAGE_SIZE - 1, n);
      if (first <= n) txt += ' \u2014 showing ' + fmtInt(first) + '\u2013' + fmtInt(last);
    }
    $('count').textContent = txt;
    $('count').setAttribute('data-total', String(n));
  }

  function renderChips() {
    var ul = $('chips');
    ul.textContent = '';
    LISTS.forEach(function (k) {
      state[k].forEach(function (v) {
        ul.appendChild(chip(KIND_LABEL[k], v, k, function () { toggleFilter(k, v); }));
      });
    });
    if (state.from || state.to) {
      var label = state.from && state.to ? state.from + ' \u2013 ' + state.to
        : state.from ? 'from ' + state.from : 'until ' + state.to;
      ul.appendChild(chip('Dates', label, 'date', function () { navigate({ from: '', to: '', page: 1 }); }));
    }
  }
  function chip(kind, value, param, remove) {
    return el('li', { class: 'chip', 'data-param': param, 'data-value': value },
      el('span', { class: 'chip-kind', text: kind + ':' }), el('span', { text: value }),
      el('button', { type: 'button', 'aria-label': 'Remove filter ' + kind + ' ' + value, title: 'Remove', onclick: remove }, '\u00d7'));
  }

  function hitHref(id) { return urlOf(withChanges({ article: id })); }

  function renderHits(res, s) {
    var ol = $('hits');
    ol.textContent = '';
    ol.setAttribute('start', String((s.page - 1) * PAGE_SIZE + 1));
    (res.hits || []).forEach(function (h) {
      var title = el('a', { href: hitHref(h.id), 'data-id': h.id, onclick: function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
        ev.preventDefault();
        navigate({ article: h.id }, { focusArticle: true });
      } });
      if (h.snippets && h.snippets.title) markedHtml(title, h.snippets.title); else title.textContent = h.title;
      var meta = el('div', { class: 'meta' },
        h.published_at ? el('time', { datetime: h.published_at, text: fmtDate(h.published_at) }) : null,
        h.authors && h.authors.length ? el('span', { text: 'By ' + h.authors.join(', ') }) : null,
        h.source ? el('span', { text: h.source }) : null,
        h.copies ? el('span', { class: 'copies', title: 'Copies of this story collapsed into this hit',
          text: '+' + h.copies + (h.copies === 1 ? ' copy' : ' copies') }) : null);
      var snippet = null;
      if (h.snippets && h.snippets.body) snippet = markedHtml(el('p', { class: 'snippet' }), h.snippets.body);
      else if (h.summary) snippet = el('p', { class: 'snippet', text: h.summary });
      var tags = h.tags && h.tags.length ? el('ul', { class: 'tags', 'aria-label': 'Tags' },
        h.tags.map(function (t) {
          return el('li', null, el('button', { type: 'button', 'aria-pressed': s.tag.indexOf(t) >= 0 ? 'true' : 'false',
            title: 'Filter by tag ' + t, onclick: function () { toggleFilter('tag', t); } }, t));
        })) : null;
      var relId = 'rel-' + h.id.replace(/[^A-Za-z0-9_-]/g, '_');
      var relBtn = el('button', { type: 'button', class: 'secondary related-btn', 'aria-expanded': 'false',
        'aria-controls': relId, 'data-id': h.id }, 'Related');
      var relBox = el('div', { class: 'related', id: relId, hidden: true, 'aria-live': 'polite' });
      relBtn.addEventListener('click', function () { toggleRelated(h.id, relBtn, relBox); });
      // The article's language on its hit, so that the browser picks fonts and line breaking
      // for it (Chinese and Japanese share characters, not glyphs).
      ol.appendChild(el('li', { class: 'hit', 'data-id': h.id, lang: h.language || null },
        el('h3', null, title), meta, snippet, tags, el('div', { class: 'hit-actions' }, relBtn), relBox));
    });
    if (!(res.hits || []).length) {
      ol.appendChild(el('li', { class: 'hit empty' },
        el('p', { text: res.total ? 'No more results on this page.' : 'Nothing matches. Try fewer words or remove a filter.' })));
    }
  }

  function toggleRelated(id, btn, box) {
    var open = btn.getAttribute('aria-expanded') === 'true';
    if (open) { btn.setAttribute('aria-expanded', 'false'); box.hidden = true; return; }
    btn.setAttribute('aria-expanded', 'true');
    box.hidden = false;
    if (box.getAttribute('data-loaded')) return;
    loadRelated(id, box);
  }
  function loadRelated(id, box) {
    box.textContent = 'Loading related articles\u2026';
    api('/articles/' + encodeURIComponent(id) + '/related?limit=5').then(function (res) {
      box.setAttribute('data-loaded', '1');
      box.textContent = '';
      var hits = res.hits || [];
      if (!hits.length) { box.appendChild(el('p', { text: 'No related articles found.' })); return; }
      box.appendChild(el('strong', { text: 'Related articles' }));
      box.appendChild(el('ol', null, hits.map(function (r) {
        var why = [];
        [['shared_entities', 'Entities'], ['shared_tags', 'Tags'], ['shared_terms', 'Terms']].forEach(function (p) {
          var v = r[p[0]];
          if (v && v.length) why.push(el('span', null, el('b', { text: p[1] + ': ' }), v.join(', ')));
        });
        var parts = [];
        why.forEach(function (w, i) { if (i) parts.push(' \u00b7 '); parts.push(w); });
        return el('li', { class: 'rel-item', 'data-id': r.id },
          el('a', { href: hitHref(r.id), onclick: function (ev) {
            if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
            ev.preventDefault();
            navigate({ article: r.id }, { focusArticle: true });
          } }, r.title || r.id),
          r.published_at ? el('span', { class: 'hint', text: ' \u2014 ' + fmtDay(r.published_at) }) : null,
          parts.length ? el('span', { class: 'why' }, 'Why: ', parts) : null);
      })));
    }).catch(function (err) {
      box.textContent = '';
      if (err && err.status === 404 && /endpoint/.test(err.message || '')) {
        box.appendChild(el('p', { text: 'Related articles are not available on this server.' }));
      } else {
        box.appendChild(el('p', { text: 'Could not load related articles: ' + ((err && err.message) || err) }));
        showError(err, 'Related articles');
      }
    });
  }

  function renderPager(res, s) {
    var nav = $('pager');
    nav.textContent = '';
    var pages = Math.min(Math.ceil((res.total || 0) / PAGE_SIZE), Math.floor(MAX_OFFSET / PAGE_SIZE) + 1);
    if (pages <= 1) return;
    function link(p, label, rel) {
      return el('a', { href: urlOf(withChanges({ page: p, article: '' })), rel: rel || null,
        'aria-label': rel ? null : 'Page ' + p, onclick: function (ev) {
          if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
          ev.preventDefault();
          navigate({ page: p, article: '' }, { focusResults: true });
          window.scrollTo(0, 0);
        } }, label);
    }
    if (s.page > 1) nav.appendChild(link(s.page - 1, '\u2039 Previous', 'prev'));
    var shown = {};
    [1, s.page - 2, s.page - 1, s.page, s.page + 1, s.page + 2, pages].forEach(function (p) {
      if (p >= 1 && p <= pages) shown[p] = 1;
    });
    var last = 0;
    Object.keys(shown).map(Number).sort(function (a, b) { return a - b; }).forEach(function (p) {
      if (last && p > last + 1) nav.appendChild(el('span', { class: 'gap', text: '\u2026' }));
      nav.appendChild(p === s.page ? el('span', { class: 'cur', 'aria-current': 'page', text: String(p) }) : link(p, String(p)));
      last = p;
    });
    if (s.page < pages) nav.appendChild(link(s.page + 1, 'Next \u203a', 'next'));
  }

  // ---- facets -----------------------------------------------------------------------------
  var facetOpen = {};   // facet key -> open (details), remembered across renders
  var treeOpen = {};    // tag parent -> expanded
  function renderFacets(res, s) {
    var aside = $('facets');
    aside.textContent = '';
    var facets = res.facets || {};
    var narrow = window.matchMedia && window.matchMedia('(max-width: 760px)').matches;
    FACETS.forEach(function (f) {
      var values = (facets[f.key] || []).slice();
      var selected = s[f.param];
      if (f.param !== 'entity') {
        selected.forEach(function (v) {
          if (!values.some(function (x) { return x.value === v; })) values.unshift({ value: v, count: null });
        });
      }
      if (!values.length) return;
      var list = f.tree ? tagTree(values, f, selected) : el('ul', null, values.map(function (v) {
        return el('li', null, facetButton(f, v, selected));
      }));
      var open = facetOpen[f.key] !== undefined ? facetOpen[f.key] : !narrow;
      var det = el('details', { class: 'facet', 'data-facet': f.key, open: open },
        el('summary', null, f.label), list);
      det.addEventListener('toggle', function () { facetOpen[f.key] = det.open; });
      aside.appendChild(det);
    });
  }
  function facetButton(f, v, selected, label) {
    var on = selected.indexOf(v.value) >= 0;
    return el('button', { type: 'button', class: 'fv', 'aria-pressed': on ? 'true' : 'false',
      'data-param': f.param, 'data-value': v.value,
      'aria-label': (label || v.value) + (v.count !== null && v.count !== undefined ? ', ' + v.count + ' results' : ''),
      onclick: function () { toggleFilter(f.param, v.value); } },
    el('span', { class: 'name', text: label || v.value }),
    v.count !== null && v.count !== undefined ? el('span', { class: 'count', text: fmtInt(v.count) }) : null);
  }
  // Tags are hierarchical (world/asia): parents first, their children behind a toggle.
  function tagTree(values, f, selected) {
    var nodes = {};
    var roots = [];
    function node(path) {
      if (nodes[path]) return nodes[path];
      var n = { path: path, value: null, children: [] };
      nodes[path] = n;
      var i = path.lastIndexOf('/');
      if (i > 0) node(path.slice(0, i)).children.push(n); else roots.push(n);
      return n;
    }
    values.forEach(function (v) { node(v.value).value = v; });
    function build(list) {
      var twists = list.some(function (n) { return n.children.length > 0; });
      return el('ul', null, list.map(function (n) {
        var name = n.path.slice(n.path.lastIndexOf('/') + 1);
        var v = n.value || { value: n.path, count: null };
        var li = el('li', null);
        if (n.children.length) {
          var childSelected = selected.some(function (x) { return x.indexOf(n.path + '/') === 0; });
          var open = treeOpen[n.path] !== undefined ? treeOpen[n.path] : childSelected;
          var sub = build(n.children);
          sub.hidden = !open;
          var subId = 'tags-' + n.path.replace(/[^A-Za-z0-9_-]/g, '_');
          sub.id = subId;
          var tw = el('button', { type: 'button', class: 'twist', 'aria-expanded': open ? 'true' : 'false',
            'aria-controls': subId, 'aria-label': 'Subtags of ' + n.path }, open ? '\u25be' : '\u25b8');
          tw.addEventListener('click', function () {
            var now = tw.getAttribute('aria-expanded') !== 'true';
            treeOpen[n.path] = now;
            tw.setAttribute('aria-expanded', now ? 'true' : 'false');
            tw.textContent = now ? '\u25be' : '\u25b8';
            sub.hidden = !now;
          });
          append(li, [tw, facetButton(f, v, selected, name), sub]);
        } else {
          append(li, [twists ? el('span', { class: 'twist-spacer', 'aria-hidden': 'true' }) : null,
            facetButton(f, v, selected, name)]);
        }
        return li;
      }));
    }
    return build(roots);
  }

  // ---- histogram --------------------------------------------------------------------------
  function pad(n) { return String(n).padStart(2, '0'); }
  function ymd(d) { return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()); }
  // A bucket's value ("1987-03", "1987-03-02", "1987-W10", "1987") as an inclusive day range.
  function period(value) {
    var m;
    if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value))) return { from: value, to: value, label: fmtDay(value) };
    if ((m = /^(\d{4})-W(\d{2})$/.exec(value))) {
      var y = +m[1], w = +m[2];
      var jan4 = new Date(Date.UTC(y, 0, 4));
      var monday = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 864e5 + (w - 1) * 7 * 864e5);
      var sunday = new Date(monday.getTime() + 6 * 864e5);
      return { from: ymd(monday), to: ymd(sunday), label: 'Week ' + w + ' of ' + y + ' (' + fmtDay(ymd(monday)) + ')' };
    }
    if ((m = /^(\d{4})-(\d{2})$/.exec(value))) {
      var last = new Date(Date.UTC(+m[1], +m[2], 0));
      return { from: value + '-01', to: ymd(last), label: MONTHS[+m[2] - 1] + ' ' + m[1] };
    }
    if ((m = /^(\d{4})$/.exec(value))) return { from: value + '-01-01', to: value + '-12-31', label: value };
    return null;
  }
  function shortLabel(value) {
    var m;
    if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value))) return +m[3] + ' ' + MONTHS[+m[2] - 1];
    if ((m = /^(\d{4})-W(\d{2})$/.exec(value))) return 'W' + +m[2];
    if ((m = /^(\d{4})-(\d{2})$/.exec(value))) return MONTHS[+m[2] - 1] + (m[2] === '01' ? ' ' + m[1] : '');
    return value;
  }
  var lastHistogram = null;
  function renderHistogram(res, s) {
    var gran = granularity(s);
    var buckets = ((res.facets || {})['published_at'] || []).map(function (b) {
      var p = period(b.value);
      return p ? { value: b.value, count: b.count, from: p.from, to: p.to, label: p.label } : null;
    }).filter(Boolean);
    // The date facet is disjunctive (counted without the date range): show the chosen range only.
    if (s.from) buckets = buckets.filter(function (b) { return b.to >= s.from; });
    if (s.to) buckets = buckets.filter(function (b) { return b.from <= s.to; });
    // Too many months for the width: fold them into years.
    if (gran === 'month' && buckets.length > 60) {
      var years = {};
      buckets.forEach(function (b) {
        var y = b.value.slice(0, 4);
        years[y] = (years[y] || 0) + b.count;
      });
      buckets = Object.keys(years).sort().map(function (y) {
        var p = period(y);
        return { value: y, count: years[y], from: p.from, to: p.to, label: p.label };
      });
      gran = 'year';
    }
    lastHistogram = { buckets: buckets, gran: gran };
    $('timeline-unit').textContent = buckets.length ? '(by ' + gran + '; choose a bar to narrow the dates)' : '';
    drawHistogram();
  }
  function drawHistogram() {
    var box = $('histogram');
    box.textContent = '';
    if (!lastHistogram) return;
    var buckets = lastHistogram.buckets;
    if (!buckets.length || !buckets.some(function (b) { return b.count > 0; })) {
      box.appendChild(el('p', { class: 'empty', text: 'No dated results.' }));
      return;
    }
    var W = Math.max(box.clientWidth || 600, 240), H = 130, top = 14, bottom = 20, left = 2;
    var max = Math.max.apply(null, buckets.map(function (b) { return b.count; }));
    var slot = (W - left) / buckets.length;
    var gap = slot > 6 ? Math.min(4, slot * 0.15) : 0.5;
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'group',
      'aria-label': 'Results over time, by ' + lastHistogram.gran });
    var maxLabel = svg('text', { x: left, y: 10 });
    maxLabel.textContent = 'max ' + fmtInt(max);
    root.appendChild(maxLabel);
    root.appendChild(svg('line', { x1: left, x2: W, y1: H - bottom + 0.5, y2: H - bottom + 0.5, stroke: '#8792a2' }));
    var every = Math.max(1, Math.ceil(buckets.length / Math.max(1, Math.floor(W / 64))));
    buckets.forEach(function (b, i) {
      var x = left + i * slot;
      var h = max ? (b.count / max) * (H - top - bottom) : 0;
      if (b.count > 0 && h < 2) h = 2;
      var g = svg('g', { class: 'bar' + (b.count ? '' : ' zero'), tabindex: 0, role: 'button',
        'data-from': b.from, 'data-to': b.to, 'data-value': b.value,
        'aria-label': b.label + ': ' + fmtInt(b.count) + (b.count === 1 ? ' result' : ' results') + '. Show only this period.' });
      var t = svg('title', {});
      t.textContent = b.label + ': ' + fmtInt(b.count);
      g.appendChild(t);
      g.appendChild(svg('rect', { class: 'hit', x: x, y: top, width: Math.max(slot, 1), height: H - top - bottom }));
      var bw = Math.min(Math.max(slot - gap, 0.5), 56);
      g.appendChild(svg('rect', { class: 'v', x: x + (slot - bw) / 2, y: H - bottom - h, width: bw, height: h, rx: slot > 8 ? 2 : 0 }));
      function choose() { navigate({ from: b.from, to: b.to, page: 1 }); }
      g.addEventListener('click', choose);
      g.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); choose(); }
      });
      root.appendChild(g);
      if (i % every === 0) {
        var lab = svg('text', { x: x + slot / 2, y: H - 5, 'text-anchor': 'middle', 'aria-hidden': 'true' });
        lab.textContent = shortLabel(b.value);
        root.appendChild(lab);
      }
    });
    box.appendChild(root);
  }
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawHistogram, 150);
  });

  // ---- the article view -------------------------------------------------------------------
  var articleShown = '';
  function renderArticle(focus) {
    var box = $('article-view');
    var id = state.article;
    if (!id) { box.hidden = true; box.textContent = ''; articleShown = ''; return; }
    if (id === articleShown) { if (focus) box.focus(); return; }
    articleShown = id;
    box.hidden = false;
    box.textContent = 'Loading the article\u2026';
    api('/articles/' + encodeURIComponent(id)).then(function (a) {
      if (state.article !== id) return;
      box.textContent = '';
      var close = el('button', { type: 'button', class: 'secondary close', onclick: function () { navigate({ article: '' }); } }, 'Close');
      var link = a.url && /^https?:\/\//i.test(a.url) ? el('a', { href: a.url, rel: 'noopener noreferrer', text: 'Original' }) : null;
      var ents = (a.entities || []).map(function (e) { return typeof e === 'string' ? e : e.name; });
      var relBox = el('div', { class: 'related', id: 'article-related' });
      append(box, [close, el('h2', { text: a.title }),
        el('div', { class: 'meta' },
          a.published_at ? el('time', { datetime: a.published_at, text: fmtDate(a.published_at) }) : null,
          a.authors && a.authors.length ? el('span', { text: 'By ' + a.authors.join(', ') }) : null,
          a.dateline ? el('span', { text: a.dateline }) : null, a.source ? el('span', { text: a.source }) : null, link),
        a.summary ? el('p', null, el('strong', { text: a.summary })) : null,
        a.body ? el('div', { class: 'body' }, paragraphs(a.body).map(function (t) { return el('p', { text: t }); })) : null,
        a.tags && a.tags.length ? el('p', { class: 'hint', text: 'Tags: ' + a.tags.join(', ') }) : null,
        ents.length ? el('p', { class: 'hint', text: 'Entities: ' + ents.join(', ') }) : null,
        relBox]);
      loadRelated(id, relBox);
      if (focus) box.focus();
    }).catch(function (err) {
      if (state.article !== id) return;
      box.textContent = '';
      append(box, [el('button', { type: 'button', class: 'secondary close', onclick: function () { navigate({ article: '' }); } }, 'Close'),
        el('p', { text: 'Could not load the article: ' + ((err && err.message) || err) })]);
      showError(err, 'Loading the article');
    });
  }

  // Wire copy is hard-wrapped; paragraphs start on an indented line or after a blank one.
  function paragraphs(body) {
    return body.split(/\n\s*\n|\n(?=[ \t]{2,})/).map(function (p) {
      return p.replace(/\s+/g, ' ').trim();
    }).filter(Boolean);
  }

  // ---- suggestions (combobox) --------------------------------------------------------------
  var sugg = { items: [], active: -1, timer: null, seq: 0, abort: null, off: false };
  var input, listbox;
  function closeSuggestions() {
    sugg.items = [];
    sugg.active = -1;
    listbox.hidden = true;
    listbox.textContent = '';
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }
  function requestSuggestions() {
    clearTimeout(sugg.timer);
    var text = input.value;
    if (!text.trim() || sugg.off) { closeSuggestions(); return; }
    sugg.timer = setTimeout(function () {
      var seq = ++sugg.seq;
      if (sugg.abort) sugg.abort.abort();
      sugg.abort = typeof AbortController === 'function' ? new AbortController() : null;
      api('/suggest?q=' + encodeURIComponent(text) + '&limit=8', { signal: sugg.abort && sugg.abort.signal })
        .then(function (res) {
          if (seq !== sugg.seq || input.value !== text) return;
          showSuggestions(Array.isArray(res.suggestions) ? res.suggestions : []);
        })
        .catch(function (err) {
          // Suggestions are a nicety: no error message, just none (and stop asking if absent).
          if (err && err.status === 404) sugg.off = true;
          if (seq === sugg.seq) closeSuggestions();
        });
    }, 120);
  }
  function showSuggestions(items) {
    sugg.items = items;
    sugg.active = -1;
    listbox.textContent = '';
    input.removeAttribute('aria-activedescendant');
    if (!items.length || document.activeElement !== input) { closeSuggestions(); return; }
    items.forEach(function (it, i) {
      var kind = it.kind === 'entity' ? (it.type || 'entity') : (it.kind || '');
      var text = el('span', { class: 'sugg-text' });
      if (it.highlighted) markedHtml(text, it.highlighted); else text.textContent = it.value || '';
      var li = el('li', { role: 'option', id: 'sugg-' + i, 'aria-selected': 'false', 'data-kind': it.kind || '' },
        el('span', { class: 'kind', text: kind }), text,
        typeof it.count === 'number' && it.kind !== 'title' ? el('span', { class: 'sugg-count', text: fmtInt(it.count) }) : null);
      li.addEventListener('mousedown', function (ev) { ev.preventDefault(); });
      li.addEventListener('click', function () { chooseSuggestion(i); });
      listbox.appendChild(li);
    });
    listbox.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  }
  function setActive(i) {
    var lis = listbox.children;
    if (sugg.active >= 0 && lis[sugg.active]) lis[sugg.active].setAttribute('aria-selected', 'false');
    sugg.active = i;
    if (i >= 0 && lis[i]) {
      lis[i].setAttribute('aria-selected', 'true');
      input.setAttribute('aria-activedescendant', lis[i].id);
      lis[i].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }
  function withoutLastWord(text) {
    return text.replace(/\s*\S*$/, '').trim();
  }
  function chooseSuggestion(i) {
    var it = sugg.items[i];
    if (!it) return;
    closeSuggestions();
    if (it.kind === 'title') {
      input.value = it.value || '';
      navigate({ q: it.value || '', page: 1, article: it.id || '' }, { focusArticle: !!it.id });
      return;
    }
    var param = it.kind === 'author' ? 'author' : it.kind === 'tag' ? 'tag' : 'entity';
    var rest = withoutLastWord(input.value);
    input.value = rest;
    var list = state[param].slice();
    if (list.indexOf(it.value) < 0) list.push(it.value);
    var c = { q: rest, page: 1, article: '' };
    c[param] = list;
    navigate(c);
  }
  function onKeyDown(ev) {
    var open = !listbox.hidden && sugg.items.length > 0;
    if (ev.key === 'ArrowDown') {
      if (!open) { requestSuggestions(); return; }
      ev.preventDefault();
      setActive(sugg.active + 1 >= sugg.items.length ? 0 : sugg.active + 1);
    } else if (ev.key === 'ArrowUp') {
      if (!open) return;
      ev.preventDefault();
      setActive(sugg.active <= 0 ? sugg.items.length - 1 : sugg.active - 1);
    } else if (ev.key === 'Enter') {
      if (open && sugg.active >= 0) { ev.preventDefault(); chooseSuggestion(sugg.active); }
      else { clearTimeout(sugg.timer); sugg.seq++; closeSuggestions(); }
    } else if (ev.key === 'Escape') {
      if (open) { ev.preventDefault(); closeSuggestions(); }
      clearTimeout(sugg.timer);
      sugg.seq++;
    }
  }

  // ---- wiring -----------------------------------------------------------------------------
  function init() {
    input = $('q');
    listbox = $('suggestions');
    // A key is never taken from the address: a link could plant one (and addresses end up
    // in histories and logs). It is typed into the key field and kept in this browser.
    $('key').value = getKey();
    $('key-status').textContent = getKey() ? 'A key is stored.' : 'No key stored.';
    $('key-save').addEventListener('click', function () {
      setKey($('key').value.trim());
      $('key-status').textContent = getKey() ? 'Key saved.' : 'No key stored.';
      render({});
    });
    $('key-forget').addEventListener('click', function () {
      setKey('');
      $('key').value = '';
      $('key-status').textContent = 'Key forgotten.';
    });

    $('search-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      closeSuggestions();
      navigate({ q: input.value.trim(), page: 1, article: '' });
    });
    input.addEventListener('input', requestSuggestions);
    input.addEventListener('keydown', onKeyDown);
    input.addEventListener('blur', function () { setTimeout(closeSuggestions, 100); });
    $('sort').addEventListener('change', function () { navigate({ sort: $('sort').value, page: 1 }); });
    function dateChanged() {
      var from = validDate($('from').value), to = validDate($('to').value);
      if (from && to && from > to) { var t = from; from = to; to = t; }
      if (from !== state.from || to !== state.to) navigate({ from: from, to: to, page: 1 });
    }
    $('from').addEventListener('change', dateChanged);
    $('to').addEventListener('change', dateChanged);
    $('dates-clear').addEventListener('click', function () { navigate({ from: '', to: '', page: 1 }); });
    $('home').addEventListener('click', function (ev) {
      ev.preventDefault();
      input.value = '';
      navigate(emptyState());
    });
    window.addEventListener('popstate', function () {
      state = readUrl();
      input.value = state.q;
      render({});
    });

    state = readUrl();
    input.value = state.q;
    render({});
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
