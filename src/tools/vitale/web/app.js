// santecard-vitale serve: shows the state the server pushes on /events
// (Server-Sent Events; documents described in santecard-vitale(1)).
// Text only goes through textContent: nothing from the card is parsed as HTML.
'use strict';

const ERRORS = {
  'not-vitale': ['Carte non reconnue', "Cette carte n'est pas une carte Vitale."],
  'vitale1-unsupported': ['Carte non prise en charge',
    'Les cartes Vitale 1 ne peuvent pas être lues ici.'],
  'unreadable': ['Carte illisible', 'Les données de la carte ne peuvent pas être lues.'],
  'card-busy': ['Carte occupée', 'Un autre logiciel utilise la carte.'],
};

function show(id) {
  for (const s of document.querySelectorAll('.panel')) s.hidden = s.id !== id;
  document.getElementById('app').dataset.state = id;
}

function frenchDate(iso) {
  const [y, m, d] = iso.split('-');
  return d + '/' + m + '/' + y;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderCard(doc) {
  const ul = document.getElementById('people');
  ul.replaceChildren();
  for (const b of doc.beneficiaries) {
    const li = el('li');
    li.append(el('div', 'name', (b.surname + ' ' + b.given).trim()));
    if (b.birth_date) li.append(el('div', 'detail', 'Date de naissance : ' + frenchDate(b.birth_date)));
    if (b.nir) {
      li.append(b.nir_key_valid
        ? el('div', 'detail nir-ok', 'NIR vérifié')
        : el('div', 'detail nir-bad', 'NIR invalide (clé incorrecte)'));
    }
    ul.append(li);
  }
  show('card');
}

function render(state) {
  if (state.state === 'card') {
    renderCard(state.document);
  } else if (state.state === 'error') {
    const e = ERRORS[state.document.error] || ['Carte non reconnue', 'La carte ne peut pas être lue.'];
    document.getElementById('error-title').textContent = e[0];
    document.getElementById('error-text').textContent = e[1];
    show('error');
  } else if (state.state === 'no-service') {
    document.getElementById('offline-title').textContent = 'Lecteur indisponible';
    document.getElementById('offline-text').textContent = 'Le service de carte à puce ne répond pas.';
    show('offline');
  } else {
    document.getElementById('readers').textContent =
      state.readers > 0 ? '' : 'Aucun lecteur de carte détecté.';
    show('waiting');
  }
}

let lostTimer = null;
const source = new EventSource('/events');
source.addEventListener('state', (ev) => {
  if (lostTimer) { clearTimeout(lostTimer); lostTimer = null; }
  render(JSON.parse(ev.data));
});
source.onerror = () => {
  // EventSource reconnects by itself; say so only if it takes a while
  if (!lostTimer) {
    lostTimer = setTimeout(() => {
      document.getElementById('offline-title').textContent = 'Service indisponible';
      document.getElementById('offline-text').textContent = 'Connexion au lecteur en cours…';
      show('offline');
    }, 3000);
  }
};
