// The review worklist: renders /review/worklist and posts labels to /v1/feedback. The session
// cookie is HttpOnly: this script never sees it, the browser sends it with same-origin requests.
'use strict';

const HEATMAP_UNAVAILABLE = {
  engine: 'No heatmap: this engine cannot produce one.',
  disabled: 'No heatmap: heatmaps are turned off (HEATMAPS=off).',
  'batch-cost': 'No heatmap: its batch was larger than the heatmap limit.',
  'not-assessed': 'No heatmap: the model did not assess this image.',
  none: 'No heatmap for this image.',
};
const SCOPE = {
  adult: 'an adult',
  lateral: 'a lateral view',
  'not-chest': 'not a chest film',
  'not-radiograph': 'not a radiograph',
  'unlike-training-data': 'unlike the training films',
};
const LABEL_NAMES = { PNEUMONIA: 'pneumonia', NORMAL: 'normal' };

let readerId = '';
let cards = [];
let current = -1;

function text(el, value) {
  el.textContent = value;
  return el;
}

function fact(dl, term, value) {
  const dt = document.createElement('dt');
  const dd = document.createElement('dd');
  dl.append(text(dt, term), text(dd, value));
}

function renderImage(study, image) {
  const node = document.getElementById('image-template').content.firstElementChild.cloneNode(true);
  node.dataset.studyId = study.studyId;
  node.dataset.bucket = study.bucket;
  node.dataset.key = image.key;
  const name = image.key.split('/').pop();
  text(node.querySelector('.key'), name);
  const img = node.querySelector('.heatmap');
  if (image.heatmap.url) {
    img.src = image.heatmap.url;
    img.alt = `Heatmap of ${name}: where the model found evidence of pneumonia, red high, blue low`;
  } else {
    img.remove();
    const none = node.querySelector('.no-heatmap');
    none.hidden = false;
    text(none, HEATMAP_UNAVAILABLE[image.heatmap.unavailable] || HEATMAP_UNAVAILABLE.none);
  }
  const dl = node.querySelector('.facts');
  fact(dl, 'Decision', image.decision || 'none');
  fact(dl, 'Probability', image.probability === undefined ? '—' : image.probability.toFixed(3));
  fact(dl, 'Threshold', image.threshold.toFixed(3));
  fact(dl, 'Model', image.modelVersion || '—');
  const scope = node.querySelector('.scope');
  if (image.outOfScope || image.scopeFlag) {
    scope.hidden = false;
    text(
      scope,
      image.outOfScope
        ? `Not assessed: ${SCOPE[image.outOfScope] || image.outOfScope}.`
        : `Assessed, but ${SCOPE[image.scopeFlag] || image.scopeFlag}: read with care.`,
    );
  }
  if (!image.labelable) {
    node.querySelector('.labelling').remove();
    const why = node.querySelector('.not-labelable');
    why.hidden = false;
    text(
      why,
      image.error
        ? `Could not be read (${image.error}): nothing to label.`
        : 'The model did not judge this image, so a label for it cannot train it.',
    );
  } else {
    for (const button of node.querySelectorAll('button[data-label]')) {
      button.addEventListener('click', () => label(node, button.dataset.label));
    }
  }
  if (image.labelled) {
    node.classList.add('labelled');
    text(node.querySelector('.outcome'), `Labelled ${LABEL_NAMES[image.labelled]} before.`);
  }
  node.addEventListener('focus', () => (current = cards.indexOf(node)));
  return node;
}

function renderStudy(study) {
  const node = document.getElementById('study-template').content.firstElementChild.cloneNode(true);
  text(node.querySelector('h2'), `Study ${study.studyId}`);
  const more = study.moreImages ? ` · ${study.moreImages} more image(s) not shown` : '';
  const when = new Date(study.completedAt).toLocaleString();
  text(
    node.querySelector('.study-meta'),
    `Decision ${study.decision || 'none'} · model ${study.modelVersion || '—'} · threshold ${study.thresholdSource || 'model'} · finished ${when}${more}`,
  );
  const images = node.querySelector('.images');
  for (const image of study.images) images.append(renderImage(study, image));
  return node;
}

async function label(card, value) {
  if (card.classList.contains('sending')) return;
  const outcome = card.querySelector('.outcome');
  const comment = card.querySelector('textarea').value.trim();
  const body = { studyId: card.dataset.studyId, bucket: card.dataset.bucket, key: card.dataset.key, label: value, readerId };
  if (comment) body.comment = comment;
  card.classList.add('sending');
  text(outcome, 'Sending…');
  try {
    const res = await fetch('/v1/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await res.json().catch(() => ({}));
    if (res.status === 401) {
      text(outcome, 'Your session has ended: reload the page to sign in again.');
    } else if (!res.ok) {
      text(outcome, `Not recorded: ${answer.message || res.status}`);
    } else {
      card.classList.add('labelled');
      card.dataset.labelled = value;
      text(outcome, `Labelled ${LABEL_NAMES[value]} (feedback ${answer.feedbackId}).`);
      move(1);
    }
  } catch {
    text(outcome, 'Not recorded: ingest could not be reached.');
  } finally {
    card.classList.remove('sending');
  }
}

function move(step) {
  if (!cards.length) return;
  const next = Math.min(cards.length - 1, Math.max(0, current + step));
  current = next;
  cards[next].focus();
  cards[next].scrollIntoView({ block: 'nearest' });
}

function onKey(event) {
  const target = event.target;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement) {
    if (event.key === 'Escape') target.closest('.image').focus();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const card = cards[current];
  switch (event.key.toLowerCase()) {
    case 'j':
    case 'arrowdown':
      move(1);
      break;
    case 'k':
    case 'arrowup':
      move(-1);
      break;
    case 'p':
      if (card && card.querySelector('.labelling')) label(card, 'PNEUMONIA');
      break;
    case 'n':
      if (card && card.querySelector('.labelling')) label(card, 'NORMAL');
      break;
    case 'c':
      if (card && card.querySelector('textarea')) card.querySelector('textarea').focus();
      break;
    default:
      return;
  }
  event.preventDefault();
}

async function load() {
  const status = document.getElementById('status');
  const res = await fetch('/review/worklist');
  if (res.status === 401) {
    window.location.reload();
    return;
  }
  if (!res.ok) {
    text(status, `The worklist could not be loaded (${res.status}).`);
    return;
  }
  const worklist = await res.json();
  readerId = worklist.readerId;
  text(document.getElementById('who'), `Reader ${worklist.readerId} · ${worklist.tenantId}`);
  const main = document.getElementById('worklist');
  main.replaceChildren(...worklist.studies.map(renderStudy));
  cards = [...main.querySelectorAll('.image')];
  text(
    status,
    worklist.studies.length ? `${worklist.studies.length} recent studies, ${cards.length} images.` : 'No recently finished studies.',
  );
  document.addEventListener('keydown', onKey);
  move(1);
}

load();
