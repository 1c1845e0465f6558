/**
 * The national referential of mediation services, version 1.
 *
 * Levels from the predecessor's referential (guide-devenir-aptic.txt); services written from the
 * seeds (the guide's « nouveaux pouvoirs », the charters' themes, the digital helper's four kinds of
 * help) and mapped onto the 9 services of the national standard v1. The predecessor's own list of
 * services (referentiel.aptic.fr) is not among the seeds: this list is ours, and each line says where
 * it comes from in docs/sources/referential.md. A published version never changes: a new version is
 * a new file, and codes are never reused for another service.
 */
import type { Referential } from './model.js';

export {
  HELP_KINDS,
  REFERENTIAL_LEVELS,
  STANDARD_SERVICES,
  type HelpKind,
  type Referential,
  type ReferentialLevel,
  type ReferentialService,
  type StandardService,
} from './model.js';

export const REFERENTIAL_V1: Referential = {
  version: 1,
  title: 'Référentiel national des services de médiation numérique',
  publishedOn: '2026-11-22',
  services: [
    // Niveau 1 : Découvrir les enjeux du numérique
    {
      code: 'D01',
      level: 1,
      label: 'Faire le point sur son autonomie numérique',
      description:
        'Un test guidé mesure l’aisance de la personne avec les outils numériques et fait ressortir ses besoins. Le médiateur lui propose ensuite l’accompagnement adapté, sur place ou dans une autre structure.',
      standardServices: ['Maîtrise des outils numériques du quotidien'],
      helpKind: 'detection_referral',
      doingForPerson: false,
    },
    {
      code: 'D02',
      level: 1,
      label: 'Découvrir les appareils numériques',
      description:
        'Première rencontre, sans prérequis, avec l’ordinateur, la tablette et le smartphone : à quoi ils servent, comment les allumer, les manipuler et s’y repérer.',
      standardServices: ['Maîtrise des outils numériques du quotidien'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'D03',
      level: 1,
      label: 'Découvrir internet et ce qu’il permet',
      description:
        'Comprendre ce que sont internet, un site, un moteur de recherche et une application, et les usages qu’ils ouvrent au quotidien : s’informer, échanger, faire ses démarches, se divertir.',
      standardServices: ['Maîtrise des outils numériques du quotidien', 'Compréhension du monde numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'D04',
      level: 1,
      label: 'Découvrir les services publics en ligne',
      description:
        'Repérer les sites officiels des administrations et des organismes sociaux, comprendre ce que sont un compte personnel et une identité numérique, et savoir où trouver de l’aide pour faire valoir ses droits.',
      standardServices: ['Aide aux démarches administratives'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'D05',
      level: 1,
      label: 'Comprendre les enjeux des données personnelles',
      description:
        'Savoir quelles traces on laisse en ligne, ce que les services font de nos données et quels droits donne le RGPD, et aborder les questions de souveraineté numérique.',
      standardServices: ['Utilisation sécurisée du numérique', 'Compréhension du monde numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'D06',
      level: 1,
      label: 'Prévenir les risques liés aux usages numériques',
      description:
        'Reconnaître et prévenir le cyber-harcèlement, l’infobésité, l’isolement et l’usage excessif des écrans, pour soi et pour ses proches, et savoir vers qui se tourner en cas de difficulté.',
      standardServices: ['Utilisation sécurisée du numérique', 'Parentalité et éducation avec le numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'D07',
      level: 1,
      label: 'Exercer son esprit critique face à l’information en ligne',
      description:
        'Comprendre comment l’information circule en ligne (algorithmes, publicité, réseaux sociaux), repérer la désinformation et vérifier une source.',
      standardServices: ['Compréhension du monde numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'D08',
      level: 1,
      label: 'Comprendre l’empreinte environnementale du numérique',
      description:
        'Découvrir l’impact énergétique des services numériques et du matériel, l’obsolescence programmée et le ré-emploi, et adopter des gestes qui en limitent les effets.',
      standardServices: ['Compréhension du monde numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'D09',
      level: 1,
      label: 'Découvrir des outils innovants vraiment utiles',
      description:
        'Essayer des outils et des pratiques qui peuvent changer le quotidien : fabrication numérique, objets connectés, assistants vocaux, outils collaboratifs.',
      standardServices: ['Loisirs et créations numériques', 'Compréhension du monde numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },

    // Niveau 2 : Maîtriser le numérique
    {
      code: 'M01',
      level: 2,
      label: 'Prendre en main un ordinateur',
      description:
        'Utiliser le clavier et la souris, organiser ses fichiers et ses dossiers, installer et mettre à jour un logiciel, brancher une imprimante ou une clé USB.',
      standardServices: ['Maîtrise des outils numériques du quotidien'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M02',
      level: 2,
      label: 'Prendre en main un smartphone ou une tablette',
      description:
        'Régler son appareil, installer et gérer des applications, utiliser l’appareil photo, gérer ses contacts et l’espace de stockage.',
      standardServices: ['Maîtrise des outils numériques du quotidien'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M03',
      level: 2,
      label: 'Naviguer et rechercher sur internet',
      description: 'Utiliser un navigateur, formuler une recherche efficace, trier les résultats et reconnaître un site fiable.',
      standardServices: ['Maîtrise des outils numériques du quotidien', 'Compréhension du monde numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M04',
      level: 2,
      label: 'Créer et utiliser une adresse électronique',
      description:
        'Créer une adresse durable, envoyer, recevoir et classer ses messages, joindre et ouvrir des documents, et reconnaître les courriels frauduleux.',
      standardServices: ['Maîtrise des outils numériques du quotidien', 'Utilisation sécurisée du numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M05',
      level: 2,
      label: 'Communiquer avec ses proches',
      description:
        'Échanger par messagerie instantanée, passer des appels vidéo et partager des photos avec sa famille et ses amis, en choisissant ce que l’on partage et avec qui.',
      standardServices: ['Maîtrise des outils numériques du quotidien'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M06',
      level: 2,
      label: 'Sécuriser ses appareils, ses comptes et ses informations personnelles',
      description:
        'Choisir et gérer ses mots de passe, activer la double authentification, faire les mises à jour, sauvegarder ses données et déjouer les arnaques en ligne.',
      standardServices: ['Utilisation sécurisée du numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M07',
      level: 2,
      label: 'Produire des documents avec un traitement de texte ou un tableur',
      description:
        'Écrire et mettre en forme un courrier, faire un tableau ou un budget simple, enregistrer, imprimer et convertir en PDF, en apprenant les fonctions plutôt qu’une marque de logiciel.',
      standardServices: ['Maîtrise des outils numériques du quotidien', 'Insertion professionnelle via le numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M08',
      level: 2,
      label: 'Numériser et organiser ses documents',
      description:
        'Scanner ou photographier un justificatif, l’enregistrer au bon format, le nommer, le classer et le retrouver pour ses démarches, et le conserver en sécurité.',
      standardServices: ['Maîtrise des outils numériques du quotidien', 'Aide aux démarches administratives'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M09',
      level: 2,
      label: 'Devenir autonome dans ses démarches administratives en ligne',
      description:
        'Apprendre à créer et gérer ses comptes auprès des administrations et des organismes sociaux, à se connecter avec une identité numérique et à suivre ses dossiers seul.',
      standardServices: ['Aide aux démarches administratives'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M10',
      level: 2,
      label: 'Réaliser une démarche en ligne avec un accompagnement',
      description:
        'La personne fait elle-même sa démarche, guidée pas à pas par le médiateur sur le service en ligne concerné ; elle reste responsable de ce qu’elle déclare.',
      standardServices: ['Aide aux démarches administratives'],
      helpKind: 'facilitation',
      doingForPerson: false,
    },
    {
      code: 'M11',
      level: 2,
      label: 'Réaliser une démarche en ligne à la place de la personne',
      description:
        'Pour une personne qui ne peut pas faire sa démarche seule, le médiateur la réalise en validant chaque information avec elle, sans garder de copie de ses documents ni de ses identifiants, et lui propose une formation pour avancer vers l’autonomie. Réservé aux professionnels : ni bénévoles, ni volontaires en service civique.',
      standardServices: ['Aide aux démarches administratives'],
      helpKind: 'assistance',
      doingForPerson: true,
    },
    {
      code: 'M12',
      level: 2,
      label: 'Accéder à ses services de santé en ligne',
      description:
        'Utiliser son compte d’assurance maladie et son espace santé, prendre un rendez-vous médical en ligne et préparer une téléconsultation.',
      standardServices: ['Aide aux démarches administratives'],
      helpKind: 'facilitation',
      doingForPerson: false,
    },
    {
      code: 'M13',
      level: 2,
      label: 'Acheter, vendre et payer en ligne en sécurité',
      description:
        'Comparer des offres, payer en ligne, utiliser sa banque en ligne, connaître ses droits de consommateur et repérer les sites frauduleux.',
      standardServices: ['Utilisation sécurisée du numérique', 'Maîtrise des outils numériques du quotidien'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M14',
      level: 2,
      label: 'Suivre la scolarité de ses enfants en ligne',
      description:
        'Utiliser l’espace numérique de travail et la vie scolaire en ligne : notes, devoirs, absences, messages aux enseignants, inscriptions et démarches scolaires.',
      standardServices: ['Parentalité et éducation avec le numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M15',
      level: 2,
      label: 'Accompagner les usages numériques de ses enfants',
      description:
        'Régler le contrôle parental et le temps d’écran, choisir des contenus adaptés à l’âge et dialoguer avec ses enfants sur leurs pratiques en ligne.',
      standardServices: ['Parentalité et éducation avec le numérique', 'Utilisation sécurisée du numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'M16',
      level: 2,
      label: 'Utiliser un poste connecté avec l’aide d’un médiateur',
      description:
        'Accès à un ordinateur, une imprimante, un scanner et une connexion dans le lieu, avec un médiateur disponible pour aider la personne au fil de son usage.',
      standardServices: ['Accès internet et matériel informatique'],
      helpKind: 'facilitation',
      doingForPerson: false,
    },
    {
      code: 'M17',
      level: 2,
      label: 'Choisir et s’équiper en matériel adapté à ses besoins',
      description:
        'Définir ses besoins, choisir un appareil neuf ou reconditionné et un abonnement internet adaptés à son budget, y compris un équipement adapté à une perte d’autonomie ou à un handicap, et connaître les offres solidaires du territoire.',
      standardServices: ['Acquisition de matériel informatique à prix solidaire', 'Accès internet et matériel informatique'],
      helpKind: 'facilitation',
      doingForPerson: false,
    },

    // Niveau 3 : Augmenter son pouvoir d’agir grâce au numérique
    {
      code: 'A01',
      level: 3,
      label: 'Rechercher un emploi ou une formation en ligne',
      description:
        'Utiliser les sites d’offres d’emploi et de formation, créer des alertes, gérer son espace de demandeur d’emploi et suivre ses candidatures.',
      standardServices: ['Insertion professionnelle via le numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'A02',
      level: 3,
      label: 'Valoriser son parcours et candidater en ligne',
      description:
        'Rédiger et mettre en forme son CV et sa lettre de motivation, soigner son identité numérique professionnelle et se préparer à un entretien en visioconférence.',
      standardServices: ['Insertion professionnelle via le numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'A03',
      level: 3,
      label: 'Faire reconnaître ses compétences numériques',
      description:
        'Évaluer ses compétences au regard du cadre de référence national des compétences numériques, se préparer à une certification et valoriser ses acquis.',
      standardServices: ['Insertion professionnelle via le numérique', 'Maîtrise des outils numériques du quotidien'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'A04',
      level: 3,
      label: 'Collaborer efficacement à distance',
      description:
        'Organiser et animer une visioconférence, partager et modifier des documents à plusieurs, tenir un agenda partagé, pour son travail, une association ou un projet collectif.',
      standardServices: ['Insertion professionnelle via le numérique', 'Maîtrise des outils numériques du quotidien'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'A05',
      level: 3,
      label: 'Développer l’activité de son entreprise ou de son association grâce au numérique',
      description:
        'Créer une présence en ligne (site, fiche d’établissement, réseaux sociaux), vendre ou prendre des réservations en ligne et faire ses démarches professionnelles dématérialisées.',
      standardServices: ['Insertion professionnelle via le numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'A06',
      level: 3,
      label: 'Créer et partager des contenus numériques',
      description:
        'Réaliser et retoucher des photos, monter une vidéo ou un son, créer un blog ou un site, et publier en respectant le droit d’auteur et le droit à l’image.',
      standardServices: ['Loisirs et créations numériques'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'A07',
      level: 3,
      label: 'Fabriquer avec le numérique',
      description:
        'Concevoir un objet et le réaliser avec les machines d’un fablab (impression 3D, découpe laser, électronique), seul ou en groupe.',
      standardServices: ['Loisirs et créations numériques'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'A08',
      level: 3,
      label: 'S’initier à la programmation',
      description:
        'Écrire ses premiers programmes, piloter un robot ou une carte électronique, et comprendre ainsi le fonctionnement des algorithmes qui nous entourent.',
      standardServices: ['Compréhension du monde numérique', 'Loisirs et créations numériques'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'A09',
      level: 3,
      label: 'Entretenir, réparer et faire durer son matériel',
      description:
        'Nettoyer et entretenir son ordinateur ou son smartphone, diagnostiquer une panne simple, remplacer une pièce et réinstaller un système pour donner une seconde vie à un appareil ancien.',
      standardServices: ['Accès internet et matériel informatique', 'Compréhension du monde numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
    {
      code: 'A10',
      level: 3,
      label: 'Participer à la vie citoyenne en ligne',
      description:
        'Suivre la vie locale, répondre à une consultation publique, s’inscrire sur les listes électorales, participer à un budget participatif ou s’engager dans une association grâce aux outils en ligne.',
      standardServices: ['Compréhension du monde numérique'],
      helpKind: 'training',
      doingForPerson: false,
    },
  ],
};
