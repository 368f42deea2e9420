"""The interface words of the help center and the portal, in the languages we ship.

Article text is whatever the authors wrote; these are only the page's own labels. A language
we do not ship falls back to English word by word.
"""

from __future__ import annotations

from collections.abc import Iterable

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
}

EN = {
    "help_center": "Help center",
    "search": "Search",
    "search_placeholder": "Search the help center",
    "results_for": "Results for “{q}”",
    "no_results": "No article matches. Try other words, or contact us.",
    "other_articles": "More articles",
    "no_articles": "No articles yet in this language.",
    "was_helpful": "Was this article helpful?",
    "yes": "Yes",
    "no": "No",
    "thanks": "Thanks for your feedback.",
    "language": "Language",
    "also_in": "Also available in",
    "home": "Help center home",
    "not_found": "Page not found",
    "not_found_text": "This page does not exist or is no longer published.",
    "portal": "My tickets",
    "sign_in": "Sign in",
    "sign_in_text": "Enter your email address: we send you a link that signs you in.",
    "email": "Email address",
    "send_link": "Send me a link",
    "link_sent": (
        "If we know this address, a sign-in link is on its way. "
        "It works once, for {minutes} minutes."
    ),
    "too_many": "Too many sign-in links asked for. Try again in {minutes} minutes.",
    "link_bad": "This sign-in link cannot be used",
    "link_expired": "The link has expired. Ask for a new one.",
    "link_used": "The link was already used. Ask for a new one.",
    "link_forged": "The link is not one we sent. Ask for a new one.",
    "new_link": "Ask for a new link",
    "no_mailbox": "Sign-in by email is not available right now.",
    "your_tickets": "Your tickets",
    "no_tickets": "You have no tickets.",
    "signed_in_as": "Signed in as",
    "add_email": "Add another email address",
    "sign_out": "Sign out",
    "reply": "Reply",
    "send": "Send",
    "close_ticket": "Close this ticket",
    "closed": "This ticket is closed.",
    "rate": "How did we do?",
    "rated": "Thanks: you rated this ticket {score} of 5.",
    "comment": "Comment (optional)",
    "you": "You",
    "support": "Support",
    "status": "Status",
    "updated": "Updated",
    "back": "Back to your tickets",
    "attach": "Attach a file (up to {mb} MB)",
}

ES = {
    "help_center": "Centro de ayuda",
    "search": "Buscar",
    "search_placeholder": "Buscar en el centro de ayuda",
    "results_for": "Resultados para «{q}»",
    "no_results": "Ningún artículo coincide. Prueba con otras palabras o contáctanos.",
    "other_articles": "Más artículos",
    "no_articles": "Todavía no hay artículos en este idioma.",
    "was_helpful": "¿Te ha resultado útil este artículo?",
    "yes": "Sí",
    "no": "No",
    "thanks": "Gracias por tu opinión.",
    "language": "Idioma",
    "also_in": "También disponible en",
    "home": "Inicio del centro de ayuda",
    "not_found": "Página no encontrada",
    "not_found_text": "Esta página no existe o ya no está publicada.",
    "portal": "Mis solicitudes",
    "sign_in": "Iniciar sesión",
    "sign_in_text": "Escribe tu correo: te enviamos un enlace para entrar.",
    "email": "Correo electrónico",
    "send_link": "Enviarme un enlace",
    "link_sent": (
        "Si conocemos esta dirección, el enlace va en camino. "
        "Sirve una vez, durante {minutes} minutos."
    ),
    "your_tickets": "Tus solicitudes",
    "no_tickets": "No tienes solicitudes.",
    "reply": "Responder",
    "send": "Enviar",
    "close_ticket": "Cerrar esta solicitud",
    "rate": "¿Qué tal lo hicimos?",
    "sign_out": "Cerrar sesión",
    "add_email": "Añadir otra dirección de correo",
    "back": "Volver a tus solicitudes",
    "closed": "Esta solicitud está cerrada.",
    "comment": "Comentario (opcional)",
    "link_bad": "Este enlace de acceso no se puede usar",
    "link_expired": "El enlace ha caducado. Pide uno nuevo.",
    "link_forged": "Este enlace no lo enviamos nosotros. Pide uno nuevo.",
    "link_used": "El enlace ya se usó. Pide uno nuevo.",
    "new_link": "Pedir un enlace nuevo",
    "no_mailbox": "El acceso por correo no está disponible ahora mismo.",
    "rated": "Gracias: has valorado esta solicitud con {score} de 5.",
    "signed_in_as": "Has entrado como",
    "status": "Estado",
    "support": "Soporte",
    "too_many": "Se han pedido demasiados enlaces. Inténtalo de nuevo en {minutes} minutos.",
    "updated": "Actualizada",
    "you": "Tú",
    "attach": "Adjuntar un archivo (hasta {mb} MB)",
}

FR = {
    "help_center": "Centre d’aide",
    "search": "Rechercher",
    "search_placeholder": "Rechercher dans le centre d’aide",
    "results_for": "Résultats pour « {q} »",
    "no_results": "Aucun article ne correspond. Essayez d’autres mots ou contactez-nous.",
    "other_articles": "Autres articles",
    "no_articles": "Pas encore d’articles dans cette langue.",
    "was_helpful": "Cet article vous a-t-il aidé ?",
    "yes": "Oui",
    "no": "Non",
    "thanks": "Merci pour votre avis.",
    "language": "Langue",
    "also_in": "Aussi disponible en",
    "home": "Accueil du centre d’aide",
    "not_found": "Page introuvable",
    "sign_in": "Se connecter",
    "your_tickets": "Vos demandes",
    "reply": "Répondre",
    "send": "Envoyer",
    "add_email": "Ajouter une autre adresse e-mail",
    "back": "Retour à vos demandes",
    "close_ticket": "Clore cette demande",
    "closed": "Cette demande est close.",
    "comment": "Commentaire (facultatif)",
    "email": "Adresse e-mail",
    "link_bad": "Ce lien de connexion ne peut pas servir",
    "link_expired": "Le lien a expiré. Demandez-en un nouveau.",
    "link_forged": "Ce lien ne vient pas de nous. Demandez-en un nouveau.",
    "link_sent": (
        "Si nous connaissons cette adresse, un lien de connexion est en route. "
        "Il sert une fois, pendant {minutes} minutes."
    ),
    "link_used": "Le lien a déjà servi. Demandez-en un nouveau.",
    "new_link": "Demander un nouveau lien",
    "no_mailbox": "La connexion par e-mail n’est pas disponible pour le moment.",
    "no_tickets": "Vous n’avez aucune demande.",
    "not_found_text": "Cette page n’existe pas ou n’est plus publiée.",
    "portal": "Mes demandes",
    "rate": "Comment nous sommes-nous débrouillés ?",
    "rated": "Merci : vous avez noté cette demande {score} sur 5.",
    "send_link": "M’envoyer un lien",
    "sign_in_text": "Saisissez votre adresse e-mail : nous vous envoyons un lien de connexion.",
    "sign_out": "Se déconnecter",
    "signed_in_as": "Connecté en tant que",
    "status": "Statut",
    "support": "Support",
    "too_many": "Trop de liens demandés. Réessayez dans {minutes} minutes.",
    "updated": "Mise à jour",
    "you": "Vous",
    "attach": "Joindre un fichier (jusqu’à {mb} Mo)",
}

DE = {
    "help_center": "Hilfe-Center",
    "search": "Suchen",
    "search_placeholder": "Im Hilfe-Center suchen",
    "results_for": "Ergebnisse für „{q}“",
    "no_results": "Kein Artikel passt. Versuchen Sie andere Wörter oder schreiben Sie uns.",
    "other_articles": "Weitere Artikel",
    "no_articles": "Noch keine Artikel in dieser Sprache.",
    "was_helpful": "War dieser Artikel hilfreich?",
    "yes": "Ja",
    "no": "Nein",
    "thanks": "Danke für Ihr Feedback.",
    "language": "Sprache",
    "also_in": "Auch verfügbar auf",
    "home": "Startseite des Hilfe-Centers",
    "not_found": "Seite nicht gefunden",
    "sign_in": "Anmelden",
    "your_tickets": "Ihre Anfragen",
    "reply": "Antworten",
    "send": "Senden",
    "add_email": "Weitere E-Mail-Adresse hinzufügen",
    "back": "Zurück zu Ihren Anfragen",
    "close_ticket": "Diese Anfrage schließen",
    "closed": "Diese Anfrage ist geschlossen.",
    "comment": "Kommentar (optional)",
    "email": "E-Mail-Adresse",
    "link_bad": "Dieser Anmeldelink kann nicht verwendet werden",
    "link_expired": "Der Link ist abgelaufen. Fordern Sie einen neuen an.",
    "link_forged": "Dieser Link stammt nicht von uns. Fordern Sie einen neuen an.",
    "link_sent": (
        "Wenn wir diese Adresse kennen, ist ein Anmeldelink unterwegs. "
        "Er gilt einmal, {minutes} Minuten lang."
    ),
    "link_used": "Der Link wurde schon verwendet. Fordern Sie einen neuen an.",
    "new_link": "Neuen Link anfordern",
    "no_mailbox": "Die Anmeldung per E-Mail ist gerade nicht verfügbar.",
    "no_tickets": "Sie haben keine Anfragen.",
    "not_found_text": "Diese Seite gibt es nicht oder sie ist nicht mehr veröffentlicht.",
    "portal": "Meine Anfragen",
    "rate": "Wie zufrieden waren Sie?",
    "rated": "Danke: Sie haben diese Anfrage mit {score} von 5 bewertet.",
    "send_link": "Link senden",
    "sign_in_text": "Geben Sie Ihre E-Mail-Adresse ein: Wir senden Ihnen einen Anmeldelink.",
    "sign_out": "Abmelden",
    "signed_in_as": "Angemeldet als",
    "status": "Status",
    "support": "Support",
    "too_many": "Zu viele Links angefordert. Versuchen Sie es in {minutes} Minuten erneut.",
    "updated": "Aktualisiert",
    "you": "Sie",
    "attach": "Datei anhängen (bis {mb} MB)",
}

PT = {
    "help_center": "Central de ajuda",
    "search": "Pesquisar",
    "search_placeholder": "Pesquisar na central de ajuda",
    "results_for": "Resultados para “{q}”",
    "no_results": "Nenhum artigo corresponde. Tente outras palavras ou fale conosco.",
    "other_articles": "Mais artigos",
    "no_articles": "Ainda não há artigos neste idioma.",
    "was_helpful": "Este artigo foi útil?",
    "yes": "Sim",
    "no": "Não",
    "thanks": "Obrigado pela sua opinião.",
    "language": "Idioma",
    "also_in": "Também disponível em",
    "home": "Início da central de ajuda",
    "not_found": "Página não encontrada",
    "sign_in": "Entrar",
    "your_tickets": "Seus pedidos",
    "reply": "Responder",
    "send": "Enviar",
    "add_email": "Adicionar outro endereço de e-mail",
    "back": "Voltar aos seus pedidos",
    "close_ticket": "Fechar este pedido",
    "closed": "Este pedido está fechado.",
    "comment": "Comentário (opcional)",
    "email": "Endereço de e-mail",
    "link_bad": "Este link de acesso não pode ser usado",
    "link_expired": "O link expirou. Peça um novo.",
    "link_forged": "Este link não foi enviado por nós. Peça um novo.",
    "link_sent": (
        "Se conhecemos este endereço, um link de acesso está a caminho. "
        "Ele funciona uma vez, por {minutes} minutos."
    ),
    "link_used": "O link já foi usado. Peça um novo.",
    "new_link": "Pedir um novo link",
    "no_mailbox": "O acesso por e-mail não está disponível agora.",
    "no_tickets": "Você não tem pedidos.",
    "not_found_text": "Esta página não existe ou não está mais publicada.",
    "portal": "Meus pedidos",
    "rate": "Como nos saímos?",
    "rated": "Obrigado: você avaliou este pedido com {score} de 5.",
    "send_link": "Enviar-me um link",
    "sign_in_text": "Digite seu e-mail: enviamos um link para você entrar.",
    "sign_out": "Sair",
    "signed_in_as": "Conectado como",
    "status": "Status",
    "support": "Suporte",
    "too_many": "Muitos links pedidos. Tente novamente em {minutes} minutos.",
    "updated": "Atualizado",
    "you": "Você",
    "attach": "Anexar um arquivo (até {mb} MB)",
}

CATALOGUES = {"en": EN, "es": ES, "fr": FR, "de": DE, "pt": PT}


def words(language: str) -> dict[str, str]:
    """The labels in `language`, English where it lacks one."""
    return EN | CATALOGUES.get(language, {})


def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, language)


def from_accept_language(header: str | None, offered: Iterable[str]) -> str | None:
    """The first language of an Accept-Language header that we offer (q-values respected)."""
    offered = set(offered)
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.split("-", 1)[0].strip().lower()
        if language:
            ranked.append((-quality, position, language))
    for _, _, language in sorted(ranked):
        if language in offered:
            return language
    return None
