import type { SessionView } from '../../domains/accounts/sessions.js';
import { html, type SafeHtml } from '../../lib/html.js';
import { ORGANISATION_KIND_LABELS } from './labels.js';

export interface PageInput {
  title: string;
  body: SafeHtml;
  session?: SessionView | undefined;
  /** Needed for the sign-out button in the header, when signed in. */
  csrfToken?: string | undefined;
  /** The path, to mark the current navigation link. */
  path?: string;
  /** Prefix the title with "Erreur : " when the page shows form errors (GOV.UK pattern). */
  hasErrors?: boolean;
}

interface NavLink {
  href: string;
  label: string;
}

/** Navigation by role: what the current organisation may do. */
function navigation(session: SessionView | undefined): NavLink[] {
  if (!session) {
    return [
      { href: '/', label: 'Accueil' },
      { href: '/lieux', label: 'Trouver un lieu' },
      { href: '/mon-pass', label: 'Vérifier mon pass' },
      { href: '/referentiel', label: 'Référentiel des services' },
      { href: '/devenir-lieu', label: 'Devenir un lieu' },
    ];
  }
  const links: NavLink[] = [{ href: '/espace', label: 'Mon espace' }];
  const current = session.current;
  if (!current) return links;
  links.push({ href: '/organisation/membres', label: 'Équipe' });
  if (current.role === 'admin') links.push({ href: '/organisation/jetons', label: 'Jetons d’API' });
  if (current.organisationKind === 'operator') {
    links.push(
      { href: '/operateur/candidatures', label: 'Candidatures' },
      { href: '/operateur/organisations', label: 'Organisations' },
      { href: '/operateur/journal', label: 'Journal d’audit' },
    );
  }
  if (current.organisationKind === 'operator') links.push({ href: '/operateur/commandes', label: 'Commandes' });
  if (current.organisationKind === 'operator') links.push({ href: '/operateur/reglements', label: 'Règlements' });
  if (current.organisationKind === 'operator') links.push({ href: '/operateur/comptabilite', label: 'Comptabilité' });
  if (current.organisationKind === 'funder') {
    links.push({ href: '/financeur/commandes', label: 'Commandes' }, { href: '/financeur/distributeurs', label: 'Distributeurs' });
  }
  if (current.organisationKind === 'funder') links.push({ href: '/financeur/releves', label: 'Relevés et factures' });
  if (current.organisationKind === 'distributor') links.push({ href: '/distributeur/carnets', label: 'Carnets' });
  if (current.organisationKind === 'provider') {
    links.push(
      { href: '/structure/encaisser', label: 'Encaisser des chèques' },
      { href: '/structure/candidature', label: 'Ma candidature' },
      { href: '/structure/lieux', label: 'Lieux et services' },
    );
  }
  if (current.organisationKind === 'provider') links.push({ href: '/structure/paiements', label: 'Paiements et relevés' });
  return links;
}

export function layout(page: PageInput): SafeHtml {
  const session = page.session;
  const links = navigation(session);
  return html`<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.hasErrors ? 'Erreur : ' : ''}${page.title} – passnum</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/passnum.css">
<script src="/assets/passnum.js" defer></script>
</head>
<body>
<a class="skip-link" href="#contenu">Aller au contenu</a>
<header class="site-header">
  <div class="container header-inner">
    <a class="brand" href="/">passnum<span class="brand-sub">le pass numérique</span></a>
    ${
      session
        ? html`<div class="account">
      <span>${session.user.displayName}${session.current ? html` · ${session.current.organisationName} <span class="muted">(${ORGANISATION_KIND_LABELS[session.current.organisationKind]})</span>` : ''}</span>
      <form method="post" action="/deconnexion" class="inline-form">
        <input type="hidden" name="_csrf" value="${page.csrfToken ?? ''}">
        <button type="submit" class="button button-secondary">Se déconnecter</button>
      </form>
    </div>`
        : html`<a class="account" href="/connexion">Se connecter</a>`
    }
  </div>
  <nav class="container" aria-label="Navigation principale">
    <ul class="nav-list">
      ${links.map(
        (link) =>
          html`<li><a href="${link.href}"${page.path === link.href ? html` aria-current="page"` : ''}>${link.label}</a></li>`,
      )}
    </ul>
  </nav>
</header>
<main id="contenu" class="container" tabindex="-1">
${page.body}
</main>
<footer class="site-footer">
  <div class="container">
    <ul class="footer-links">
      <li><a href="/accessibilite">Accessibilité : partiellement conforme</a></li>
      <li><a href="/referentiel">Référentiel des services</a></li>
      <li><a href="/transparence">Transparence financière</a></li>
      <li><a href="/api/openapi.json">API (OpenAPI)</a></li>
    </ul>
    <p class="muted">passnum, logiciel libre pour le pass numérique.</p>
  </div>
</footer>
</body>
</html>`;
}
