// Texts of the public schedule: Russian first, English on the switch.
import { register, t } from "../i18n.js";

const OKRUGS_RU = {
  "ЦАО": "Центральный", "САО": "Северный", "СВАО": "Северо-Восточный", "ВАО": "Восточный",
  "ЮВАО": "Юго-Восточный", "ЮАО": "Южный", "ЮЗАО": "Юго-Западный", "ЗАО": "Западный",
  "СЗАО": "Северо-Западный", "ЗелАО": "Зеленоградский", "НАО": "Новомосковский", "ТАО": "Троицкий",
};
const OKRUGS_EN = {
  "ЦАО": "Central", "САО": "Northern", "СВАО": "North-Eastern", "ВАО": "Eastern",
  "ЮВАО": "South-Eastern", "ЮАО": "Southern", "ЮЗАО": "South-Western", "ЗАО": "Western",
  "СЗАО": "North-Western", "ЗелАО": "Zelenograd", "НАО": "Novomoskovsky", "ТАО": "Troitsky",
};

function names(okrugs) {
  return Object.fromEntries(Object.entries(okrugs).map(([code, name]) => [`okrug.${code}`, name]));
}

/**
 * "ЦАО — Центральный" (or "ЦАО — Central"); an okrug we have no name for shows its code.
 * @param {string} code
 * @returns {string}
 */
export function okrugLabel(code) {
  const name = t(`okrug.${code}`);
  return name === `okrug.${code}` ? code : `${code} — ${name}`;
}

register({
  ru: {
    "pub.title": "Кинотрак: кино под открытым небом",
    "pub.tagline": "Бесплатные показы в парках и дворах Москвы. Возьмите плед!",
    "pub.lang": "Switch to English",
    "week.prev": "Предыдущая неделя",
    "week.next": "Следующая неделя",
    "week.this": "Эта неделя",
    "week.pick": "Неделя, в которую входит день",
    "filter.okrug": "Округ",
    "filter.all": "Все округа",
    "ical.link": "Календарь (iCal)",
    "ical.hint": "Подпишитесь в календаре телефона, и новые показы появятся сами.",
    "list.loading": "Загружаем расписание…",
    "list.error": "Расписание не загрузилось: {message}",
    "list.retry": "Повторить",
    "list.empty": "На этой неделе показов нет.",
    "list.emptyOkrug": "На этой неделе в округе {okrug} показов нет.",
    "list.nextFound": "Ближайшие показы: {day}",
    "list.count": "Показов на неделе: {count}",
    "list.showOnMap": "На карте",
    "list.minutes": "{minutes} мин",
    "map.label": "Карта показов недели",
    "map.screenings": "Показы на неделе",
    ...names(OKRUGS_RU),
  },
  en: {
    "pub.title": "Kinotruck: open-air cinema",
    "pub.tagline": "Free screenings in Moscow's parks and courtyards. Bring a blanket!",
    "pub.lang": "Переключить на русский",
    "week.prev": "Previous week",
    "week.next": "Next week",
    "week.this": "This week",
    "week.pick": "The week of the day",
    "filter.okrug": "District",
    "filter.all": "All districts",
    "ical.link": "Calendar (iCal)",
    "ical.hint": "Subscribe in your phone's calendar and new screenings appear by themselves.",
    "list.loading": "Loading the schedule…",
    "list.error": "The schedule did not load: {message}",
    "list.retry": "Try again",
    "list.empty": "No screenings this week.",
    "list.emptyOkrug": "No screenings in {okrug} this week.",
    "list.nextFound": "Next screenings: {day}",
    "list.count": "Screenings this week: {count}",
    "list.showOnMap": "On the map",
    "list.minutes": "{minutes} min",
    "map.label": "Map of the week's screenings",
    "map.screenings": "Screenings this week",
    ...names(OKRUGS_EN),
  },
});
