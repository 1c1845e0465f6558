import type { FastifyInstance } from 'fastify';
import { html } from '../../../lib/html.js';
import { PUBLIC } from '../../access.js';
import { sendPage } from '../page.js';

export function publicRoutes(app: FastifyInstance) {
  app.get('/', { config: { access: PUBLIC } }, async (request, reply) =>
    sendPage(request, reply, () => ({
      title: 'Accueil',
      body: html`<h1>Le pass numérique</h1>
<p class="lead">Des chèques de 10 € pour se faire accompagner dans ses usages du numérique, dans un lieu de médiation près de chez soi.</p>
<div class="columns">
  <section>
    <h2>Vous avez reçu des pass numériques</h2>
    <p>Présentez-les dans un lieu qualifié : une personne vous aide à utiliser le numérique (e-mail, démarches en ligne, smartphone…). Vous ne donnez ni votre nom ni vos coordonnées.</p>
    <p><a class="button" href="/mon-pass">Vérifier un chèque et trouver un lieu</a></p>
  </section>
  <section>
    <h2>Vous êtes une collectivité, un lieu de médiation, un travailleur social</h2>
    <p>passnum permet de commander et distribuer des pass, de les encaisser et d’être remboursé chaque mois, au centime près.</p>
    <p>${request.session ? html`<a class="button" href="/espace">Aller à mon espace</a>` : html`<a class="button" href="/connexion">Se connecter</a>`}</p>
  </section>
</div>`,
    })),
  );

  app.get('/accessibilite', { config: { access: PUBLIC } }, async (request, reply) =>
    sendPage(request, reply, () => ({
      title: 'Déclaration d’accessibilité',
      body: html`<h1>Déclaration d’accessibilité</h1>
<p>passnum s’engage à rendre ses services accessibles, conformément à l’article 47 de la loi n° 2005-102 du 11 février 2005, et vise le niveau AA du référentiel général d’amélioration de l’accessibilité (RGAA 4.1).</p>
<h2>État de conformité</h2>
<p>passnum est <strong>partiellement conforme</strong> au RGAA 4.1 : aucun audit complet n’a encore été réalisé.</p>
<h2>Ce que nous vérifions à chaque version</h2>
<ul>
  <li>chaque page parcourue par nos tests automatiques est analysée par axe-core, sans aucune erreur acceptée ;</li>
  <li>toutes les fonctions essentielles marchent sans JavaScript, au clavier et avec un lecteur d’écran ;</li>
  <li>les formulaires ont des étiquettes, des aides et des messages d’erreur reliés à chaque champ, et un récapitulatif des erreurs ;</li>
  <li>un lien d’évitement mène directement au contenu ; la langue des pages est déclarée.</li>
</ul>
<h2>Retour d’information et contact</h2>
<p>Si vous n’arrivez pas à accéder à un contenu ou à un service, écrivez à l’opérateur de votre plateforme passnum pour être orienté·e vers une alternative accessible.</p>
<h2>Voies de recours</h2>
<p>Si vous n’obtenez pas de réponse satisfaisante, vous pouvez saisir le Défenseur des droits (formulaire en ligne, délégué territorial ou courrier gratuit : Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07).</p>`,
    })),
  );
}
