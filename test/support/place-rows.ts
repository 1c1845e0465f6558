/**
 * Columns of a place row with nothing in them: fixtures that insert places directly spread this and
 * set only what their test is about.
 */
export const EMPTY_PLACE_LISTS = {
  typologies: [] as string[],
  phones: [] as string[],
  emails: [] as string[],
  websites: [] as string[],
  standard_services: [] as string[],
  publics: [] as string[],
  specific_support: [] as string[],
  fees: [] as string[],
  national_programmes: [] as string[],
  trainings_labels: [] as string[],
  access_modes: [] as string[],
  support_modes: [] as string[],
  itinerant: false,
};
