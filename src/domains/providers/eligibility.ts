/**
 * The eligibility questionnaire a provider answers before signing the charter, and its scoring.
 *
 * guide-devenir-aptic.txt (« La démarche qualité #APTIC ») fixes the five themes and the two outcomes:
 * eligible, or a diagnostic of what to improve. The predecessor's questions (APTIC-QUESTIONNAIRE.pdf)
 * are not among the seeds: each question below turns a requirement of the guide or of the charters
 * into something a provider can answer, and its hint names that source. The points and thresholds
 * are product decisions (the guide publishes none). Details: docs/sources/eligibility.md.
 *
 * Answers are recorded with the questionnaire's version: change a question, a point or a threshold
 * and the version goes up.
 */

export interface EligibilityOption {
  /** Stable, stored with the answers. */
  value: string;
  label: string;
  points: number;
  /**
   * The answer contradicts a commitment of the charter: the theme fails whatever its points, so that
   * strengths elsewhere in the theme cannot hide it.
   */
  blocking?: true;
}

export interface EligibilityQuestion {
  /** Stable, stored with the answers. */
  code: string;
  label: string;
  hint?: string;
  options: readonly EligibilityOption[];
  /** What to improve and how, shown when the answer did not get the question's best points. */
  advice: string;
}

export interface EligibilityTheme {
  code: string;
  label: string;
  /** Points the theme needs to pass (see the questionnaire below for how they were chosen). */
  threshold: number;
  questions: readonly EligibilityQuestion[];
}

export interface EligibilityQuestionnaire {
  version: number;
  themes: readonly EligibilityTheme[];
}

const yesNo = (yes: number) =>
  [
    { value: 'yes', label: 'Oui', points: yes },
    { value: 'no', label: 'Non', points: 0 },
  ] as const;

/**
 * Thresholds, per theme: half of the theme's maximum, rounded up (product decision; the guide only
 * says that the questionnaire validates eligibility or gives a diagnostic). Overall: eligible when
 * every theme passes; there is no overall total, so a strong theme never makes up for a weak one
 * (product decision, following the guide's diagnostic « par thème » of « marges de progression »).
 */
export const ELIGIBILITY_QUESTIONNAIRE = {
  version: 1,
  themes: [
    {
      code: 'aptitudes',
      label: 'Aptitudes',
      threshold: 5, // of 9
      questions: [
        {
          code: 'aptitudes_staff',
          label: 'Qui délivre vos services de médiation numérique ?',
          hint: 'Charte, article 2 : par principe des professionnels qualifiés ; par exception des bénévoles ou des volontaires en service civique, formés au préalable et encadrés.',
          options: [
            { value: 'professionals', label: 'Des professionnels, salariés ou indépendants', points: 3 },
            { value: 'professionals_and_volunteers', label: 'Des professionnels, avec des bénévoles ou des volontaires formés et encadrés', points: 3 },
            { value: 'trained_volunteers', label: 'Des bénévoles ou des volontaires, tous formés ou qualifiés', points: 1 },
            { value: 'untrained_volunteers', label: 'Des bénévoles ou des volontaires sans formation préalable', points: 0, blocking: true },
          ],
          advice:
            'Faites suivre une formation préalable à chaque bénévole ou volontaire et confiez leur encadrement à un professionnel (un référent, des temps d’échange réguliers) ; réservez les services « faire à la place » aux professionnels.',
        },
        {
          code: 'aptitudes_qualification',
          label: 'Vos intervenants ont-ils une formation ou une qualification en médiation numérique ?',
          hint: 'Par exemple un titre professionnel, un diplôme de l’animation ou la formation des conseillers numériques.',
          options: [
            { value: 'all', label: 'Oui, tous', points: 2 },
            { value: 'some', label: 'Certains', points: 1 },
            { value: 'none', label: 'Aucun', points: 0 },
          ],
          advice:
            'Inscrivez vos intervenants à une formation en médiation numérique (formations du réseau régional, titre professionnel, modules en ligne gratuits) et gardez une trace des formations suivies.',
        },
        {
          code: 'aptitudes_continuity',
          label: 'Pouvez-vous délivrer en permanence les services que vous proposerez ?',
          hint: 'Charte, article 3 : l’acteur qualifié s’assure de sa capacité permanente à délivrer les services qu’il référence.',
          options: [
            { value: 'regular_hours', label: 'Oui, à des horaires réguliers toute l’année', points: 2 },
            { value: 'appointments', label: 'Oui, sur rendez-vous ou lors de permanences ponctuelles', points: 1 },
            { value: 'not_yet_regular', label: 'Pas encore de façon régulière', points: 0 },
          ],
          advice:
            'Fixez des créneaux réguliers et affichés pour chaque service proposé, et ne référencez que les services que vous pouvez assurer toute l’année.',
        },
        {
          code: 'aptitudes_experience',
          label: 'Depuis combien de temps proposez-vous des services de médiation numérique ?',
          options: [
            { value: 'over_3_years', label: 'Plus de 3 ans', points: 2 },
            { value: '1_to_3_years', label: 'De 1 à 3 ans', points: 1 },
            { value: 'under_1_year', label: 'Moins d’un an', points: 0 },
          ],
          advice:
            'Appuyez-vous sur un acteur expérimenté de votre territoire (binôme, observation de ses ateliers) et commencez par un petit nombre de services que vous maîtrisez.',
        },
      ],
    },
    {
      code: 'publics',
      label: 'Publics',
      threshold: 5, // of 9
      questions: [
        {
          code: 'publics_priority',
          label: 'Les personnes éloignées du numérique ou en situation de fragilité font-elles partie de vos publics ?',
          hint: 'Charte, article 5 : agir prioritairement à destination des citoyens les plus vulnérables.',
          options: [
            { value: 'main', label: 'Oui, ce sont nos publics prioritaires', points: 3 },
            { value: 'among_others', label: 'Oui, parmi d’autres publics', points: 2 },
            { value: 'rarely', label: 'Rarement ou jamais', points: 0 },
          ],
          advice:
            'Rapprochez-vous des structures sociales de votre territoire (CCAS, France Services, associations de solidarité) pour rencontrer les personnes les plus éloignées du numérique, et adaptez vos horaires et votre communication à ces publics.',
        },
        {
          code: 'publics_first_contact',
          label: 'Comment accueillez-vous une personne qui ne sait pas par où commencer ?',
          hint: 'Charte de l’aidant numérique, article 2 : détection et orientation, avec un test d’autonomie.',
          options: [
            { value: 'assess_and_refer', label: 'Nous évaluons son autonomie et ses besoins, puis nous l’accompagnons ou l’orientons vers la bonne structure', points: 2 },
            { value: 'existing_workshops', label: 'Nous lui proposons nos ateliers existants', points: 1 },
            { value: 'nothing_planned', label: 'Rien n’est prévu pour cela', points: 0 },
          ],
          advice:
            'Mettez en place un premier entretien avec un test d’autonomie numérique, et tenez à jour la liste des structures vers lesquelles orienter une personne dont vous ne couvrez pas le besoin.',
        },
        {
          code: 'publics_specific_needs',
          label: 'Adaptez-vous vos accompagnements à des besoins particuliers (handicap, illettrisme, langue étrangère) ?',
          hint: 'Ce sont les prises en charge spécifiques du standard national des lieux de médiation numérique.',
          options: [
            { value: 'dedicated', label: 'Oui, avec des outils ou des compétences dédiés', points: 2 },
            { value: 'case_by_case', label: 'Au cas par cas', points: 1 },
            { value: 'no', label: 'Non', points: 0 },
          ],
          advice:
            'Repérez les besoins particuliers fréquents chez vos publics et équipez-vous en conséquence : réglages d’accessibilité des appareils, supports faciles à lire, partenariat avec une structure spécialisée du handicap ou de l’illettrisme.',
        },
        {
          code: 'publics_formats',
          label: 'Quelles formes d’accompagnement proposez-vous ?',
          options: [
            { value: 'individual_and_group', label: 'Des accompagnements individuels et des ateliers collectifs', points: 2 },
            { value: 'individual_only', label: 'Des accompagnements individuels seulement', points: 1 },
            { value: 'group_only', label: 'Des ateliers collectifs seulement', points: 1 },
          ],
          advice:
            'Proposez à la fois des rendez-vous individuels, pour les besoins urgents ou personnels, et des ateliers collectifs, pour apprendre en groupe et à son rythme.',
        },
      ],
    },
    {
      code: 'territories',
      label: 'Territoires',
      threshold: 4, // of 8
      questions: [
        {
          code: 'territories_place',
          label: 'Où recevez-vous les personnes ?',
          hint: 'Les services payés par le pass sont rendus dans un lieu ouvert au public, sauf si le commanditaire prévoit le domicile ou la distance. Un acteur sans lieu peut intervenir dans celui d’un partenaire, par convention.',
          options: [
            { value: 'own_place', label: 'Dans un lieu ouvert au public que nous gérons', points: 2 },
            { value: 'partner_place', label: 'Dans le lieu ouvert au public d’un partenaire, par convention', points: 2 },
            { value: 'home_or_remote_only', label: 'Uniquement à domicile ou à distance', points: 0 },
          ],
          advice:
            'Passez une convention avec un lieu ouvert au public de votre territoire (médiathèque, France Services, tiers-lieu, centre social) pour y recevoir les personnes.',
        },
        {
          code: 'territories_outreach',
          label: 'Allez-vous vers les publics en dehors de votre lieu ?',
          hint: 'Permanences dans d’autres structures, itinérance, interventions hors les murs.',
          options: [
            { value: 'regularly', label: 'Oui, régulièrement', points: 2 },
            { value: 'sometimes', label: 'Parfois', points: 1 },
            { value: 'never', label: 'Jamais', points: 0 },
          ],
          advice:
            'Tenez des permanences dans des lieux que fréquentent vos publics (mairie, centre social, structure d’hébergement, marché) pour rencontrer ceux qui ne viennent pas d’eux-mêmes.',
        },
        {
          code: 'territories_prescribers',
          label: 'Des prescripteurs de votre territoire vous orientent-ils des personnes ?',
          hint: 'Travailleurs sociaux, CCAS, France Services, missions locales, associations…',
          options: yesNo(2),
          advice:
            'Présentez vos services aux travailleurs sociaux, CCAS et France Services de votre territoire, et convenez avec eux d’une façon simple de vous orienter des personnes.',
        },
        {
          code: 'territories_network',
          label: 'Participez-vous à un réseau local d’acteurs de la médiation numérique ?',
          hint: 'Coordination départementale ou régionale, collectif de lieux, réseau de bibliothèques…',
          options: yesNo(2),
          advice:
            'Rejoignez la coordination de la médiation numérique de votre département ou de votre région, ou un collectif local de lieux, pour échanger sur vos pratiques et être connu des commanditaires.',
        },
      ],
    },
    {
      code: 'innovation',
      label: 'Innovation',
      threshold: 4, // of 8
      questions: [
        {
          code: 'innovation_methods',
          label: 'Vos accompagnements s’appuient-ils sur des méthodes actives ?',
          hint: 'Mises en situation réelles, apprentissage entre pairs, pédagogie par le projet, fabrication.',
          options: [
            { value: 'often', label: 'Souvent', points: 2 },
            { value: 'sometimes', label: 'Parfois', points: 1 },
            { value: 'rarely', label: 'Rarement', points: 0 },
          ],
          advice:
            'Introduisez dans vos ateliers des mises en situation réelles (la démarche de la personne, son propre téléphone), des temps d’entraide entre participants et de petits projets concrets.',
        },
        {
          code: 'innovation_paths',
          label: 'Proposez-vous des parcours de plusieurs séances sur un même thème ?',
          hint: 'Le guide prévoit des parcours facultatifs de 5 ou 10 séances, pour une montée en compétences progressive.',
          options: [
            { value: 'already', label: 'Oui, nous en proposons déjà', points: 2 },
            { value: 'ready_to_build', label: 'Pas encore, mais nous pouvons en construire', points: 1 },
            { value: 'no', label: 'Non', points: 0 },
          ],
          advice:
            'Construisez un parcours de 5 séances sur un thème souvent demandé (par exemple prendre en main son smartphone), avec un objectif par séance et un point d’étape à la fin.',
        },
        {
          code: 'innovation_evaluation',
          label: 'Mesurez-vous la progression et la satisfaction des personnes accompagnées ?',
          hint: 'Charte, article 3 : concours à la mesure de la satisfaction des bénéficiaires, de leur montée en compétences et de l’impact social.',
          options: [
            { value: 'always', label: 'Oui, à chaque accompagnement', points: 2 },
            { value: 'sometimes', label: 'De temps en temps', points: 1 },
            { value: 'no', label: 'Non', points: 0 },
          ],
          advice:
            'Faites un point simple et anonyme au début et à la fin de chaque accompagnement (ce que la personne sait faire, ce qu’elle a appris, sa satisfaction) et servez-vous-en pour ajuster vos services.',
        },
        {
          code: 'innovation_new_uses',
          label: 'Faites-vous découvrir des outils ou des usages émergents ?',
          hint: 'Par exemple la fabrication numérique, les objets connectés, les outils collaboratifs ou les logiciels libres.',
          options: yesNo(2),
          advice:
            'Programmez régulièrement des ateliers de découverte d’outils émergents ou alternatifs, seuls ou avec un fablab ou un tiers-lieu voisin.',
        },
      ],
    },
    {
      code: 'specific_skills',
      label: 'Compétences spécifiques',
      threshold: 4, // of 8
      questions: [
        {
          code: 'skills_neutrality',
          label: 'Comment présentez-vous les outils numériques dans vos accompagnements ?',
          hint: 'Charte, article 3 : faire découvrir les fonctionnalités d’un outil plutôt qu’une marque ; il ne peut s’agir de former un « client » à ses propres « solutions ».',
          options: [
            { value: 'by_function', label: 'Par leurs fonctions, en montrant plusieurs solutions possibles', points: 2 },
            { value: 'one_tool', label: 'Surtout avec un outil, celui que nous utilisons', points: 1 },
            { value: 'own_products', label: 'Avec les produits ou services de notre entreprise ou d’un partenaire commercial', points: 0, blocking: true },
          ],
          advice:
            'Enseignez les fonctions des outils (écrire un texte, envoyer un message) en montrant plusieurs solutions, y compris libres, et séparez clairement vos accompagnements de toute offre commerciale de votre structure ou de vos partenaires.',
        },
        {
          code: 'skills_personal_data',
          label: 'Vos intervenants appliquent-ils des règles de protection des données des personnes aidées ?',
          hint: 'Charte de l’aidant numérique, article 3 : aucune copie des documents, aucun identifiant ni mot de passe conservé, navigation privée, sessions fermées à la fin.',
          options: [
            { value: 'written_rules', label: 'Oui, des règles écrites, connues et appliquées par tous', points: 2 },
            { value: 'informal', label: 'Oui, de façon informelle', points: 1 },
            { value: 'no', label: 'Non', points: 0, blocking: true },
          ],
          advice:
            'Écrivez et affichez les règles de confidentialité de la charte de l’aidant numérique (aucune copie de documents, aucun identifiant conservé, navigation privée, sessions fermées) et formez chaque intervenant à les appliquer.',
        },
        {
          code: 'skills_online_procedures',
          label: 'Vos intervenants savent-ils accompagner des démarches administratives en ligne ?',
          options: [
            { value: 'trained', label: 'Oui, ils y sont formés et le font régulièrement', points: 2 },
            { value: 'occasionally', label: 'Occasionnellement', points: 1 },
            { value: 'no', label: 'Non', points: 0 },
          ],
          advice:
            'Formez vos intervenants aux démarches les plus demandées (impôts, assurance maladie, allocations familiales, emploi), à l’identité numérique et au cadre de l’aide « à la place ».',
        },
        {
          code: 'skills_critical_thinking',
          label: 'Vos accompagnements abordent-ils les enjeux du numérique ?',
          hint: 'Charte, article 5 : empreinte environnementale, prévention des risques (cyber-harcèlement, désinformation, infobésité, isolement), protection des données et souveraineté numérique.',
          options: [
            { value: 'regularly', label: 'Régulièrement', points: 2 },
            { value: 'sometimes', label: 'Parfois', points: 1 },
            { value: 'no', label: 'Non', points: 0 },
          ],
          advice:
            'Prévoyez dans vos ateliers de courts temps sur l’empreinte environnementale du numérique, la désinformation, le cyber-harcèlement et la protection des données, en partant des usages des participants.',
        },
      ],
    },
  ],
} as const satisfies EligibilityQuestionnaire;

type Themes = (typeof ELIGIBILITY_QUESTIONNAIRE)['themes'];
export type EligibilityThemeCode = Themes[number]['code'];
export type EligibilityQuestionCode = Themes[number]['questions'][number]['code'];

/** Question code → option value, as posted by the form; other keys are ignored. */
export type EligibilityAnswers = Readonly<Record<string, string | undefined>>;

export interface ThemeScore {
  theme: EligibilityThemeCode;
  label: string;
  points: number;
  max: number;
  threshold: number;
  passed: boolean;
}

export interface ThemeDiagnostic {
  theme: EligibilityThemeCode;
  label: string;
  /** The advice of each question of the theme that did not get its best points, in order. */
  advice: string;
  questions: EligibilityQuestionCode[];
}

export type EligibilityResult =
  | { outcome: 'eligible'; scores: ThemeScore[] }
  | { outcome: 'not_yet'; scores: ThemeScore[]; diagnostic: ThemeDiagnostic[] }
  /** Questions without an answer, or whose answer is not one of their options, in questionnaire order. */
  | { outcome: 'incomplete'; missing: EligibilityQuestionCode[] };

function bestPoints(question: EligibilityQuestion): number {
  return Math.max(...question.options.map((option) => option.points));
}

export function maxPoints(theme: EligibilityTheme): number {
  return theme.questions.reduce((sum, question) => sum + bestPoints(question), 0);
}

function chosenOption(question: EligibilityQuestion, answers: EligibilityAnswers): EligibilityOption | undefined {
  const value = Object.hasOwn(answers, question.code) ? answers[question.code] : undefined;
  return question.options.find((option) => option.value === value);
}

export function scoreEligibility(answers: EligibilityAnswers): EligibilityResult {
  // Walked through the general shape; the codes it returns are those of the questionnaire above.
  const themes: readonly EligibilityTheme[] = ELIGIBILITY_QUESTIONNAIRE.themes;
  const missing = themes
    .flatMap((theme) => theme.questions)
    .filter((question) => chosenOption(question, answers) === undefined)
    .map((question) => question.code as EligibilityQuestionCode);
  if (missing.length > 0) return { outcome: 'incomplete', missing };

  const scores: ThemeScore[] = [];
  const diagnostic: ThemeDiagnostic[] = [];
  for (const theme of themes) {
    let points = 0;
    let blocked = false;
    const weak: EligibilityQuestion[] = [];
    for (const question of theme.questions) {
      const option = chosenOption(question, answers)!;
      points += option.points;
      if (option.blocking) blocked = true;
      if (option.points < bestPoints(question)) weak.push(question);
    }
    const code = theme.code as EligibilityThemeCode;
    const passed = !blocked && points >= theme.threshold;
    scores.push({ theme: code, label: theme.label, points, max: maxPoints(theme), threshold: theme.threshold, passed });
    if (!passed) {
      diagnostic.push({
        theme: code,
        label: theme.label,
        advice: weak.map((question) => question.advice).join(' '),
        questions: weak.map((question) => question.code as EligibilityQuestionCode),
      });
    }
  }
  return diagnostic.length === 0 ? { outcome: 'eligible', scores } : { outcome: 'not_yet', scores, diagnostic };
}
