import type { StoreInit, TableInit } from '../schema/store.js'

/** A table of the demo store before its document exists. */
export type DemoTable = TableInit

/** Tables of the demo store: 12 in two areas, 4 bar seats, 2 takeaway slots. */
export const DEMO_TABLES: readonly DemoTable[] = [
  ...Array.from({ length: 8 }, (_, i) => ({
    id: `t${i + 1}`,
    label: `${i + 1}`,
    seats: i < 4 ? 2 : 4,
    area: 'Dining room',
  })),
  ...Array.from({ length: 4 }, (_, i) => ({
    id: `p${i + 1}`,
    label: `P${i + 1}`,
    seats: 4,
    area: 'Patio',
  })),
  ...Array.from({ length: 4 }, (_, i) => ({
    id: `b${i + 1}`,
    label: `Bar ${i + 1}`,
    seats: 1,
    area: 'Bar',
  })),
  { id: 'to1', label: 'Takeaway 1', seats: 0, area: 'Takeaway' },
  { id: 'to2', label: 'Takeaway 2', seats: 0, area: 'Takeaway' },
]

type Row = [
  id: string,
  name: string,
  category: string,
  price: number,
  station: string,
  course: number,
  groups?: string[],
]

const ITEMS: Row[] = [
  ['bread', 'Bread basket', 'starters', 450, 'kitchen', 1],
  ['soup', 'Soup of the day', 'starters', 750, 'kitchen', 1],
  ['burrata', 'Burrata', 'starters', 1250, 'kitchen', 1],
  ['calamari', 'Fried calamari', 'starters', 1150, 'kitchen', 1, ['sauce']],
  ['caesar', 'Caesar salad', 'starters', 1050, 'kitchen', 1, ['salad-extra']],
  ['wings', 'Chicken wings', 'starters', 990, 'kitchen', 1, ['sauce']],
  ['burger', 'House burger', 'mains', 1690, 'kitchen', 2, ['cooking', 'side', 'burger-extra']],
  ['steak', 'Ribeye steak', 'mains', 2890, 'kitchen', 2, ['cooking', 'side']],
  ['salmon', 'Grilled salmon', 'mains', 2350, 'kitchen', 2, ['side']],
  ['risotto', 'Mushroom risotto', 'mains', 1850, 'kitchen', 2],
  ['pasta', 'Tagliatelle ragu', 'mains', 1790, 'kitchen', 2],
  ['pizza', 'Margherita pizza', 'mains', 1450, 'kitchen', 2, ['pizza-extra']],
  ['fish-chips', 'Fish and chips', 'mains', 1890, 'kitchen', 2, ['sauce']],
  ['veg-curry', 'Vegetable curry', 'mains', 1590, 'kitchen', 2],
  ['fries', 'Fries', 'sides', 450, 'kitchen', 2, ['sauce']],
  ['greens', 'Green salad', 'sides', 450, 'kitchen', 2],
  ['tiramisu', 'Tiramisu', 'desserts', 750, 'kitchen', 3],
  ['brownie', 'Chocolate brownie', 'desserts', 690, 'kitchen', 3, ['ice-cream']],
  ['cheesecake', 'Cheesecake', 'desserts', 720, 'kitchen', 3],
  ['sorbet', 'Sorbet', 'desserts', 550, 'kitchen', 3],
  ['espresso', 'Espresso', 'drinks', 250, 'bar', 1],
  ['cappuccino', 'Cappuccino', 'drinks', 350, 'bar', 1, ['milk']],
  ['tea', 'Tea', 'drinks', 300, 'bar', 1],
  ['cola', 'Cola', 'drinks', 350, 'bar', 1, ['ice']],
  ['lemonade', 'Lemonade', 'drinks', 400, 'bar', 1, ['ice']],
  ['water', 'Sparkling water', 'drinks', 300, 'bar', 1],
  ['beer', 'Draft beer', 'alcohol', 600, 'bar', 1],
  ['red', 'Red wine (glass)', 'alcohol', 750, 'bar', 1],
  ['white', 'White wine (glass)', 'alcohol', 750, 'bar', 1],
  ['spritz', 'Spritz', 'alcohol', 900, 'bar', 1, ['ice']],
  ['negroni', 'Negroni', 'alcohol', 1100, 'bar', 1],
]

const option = (id: string, name: string, price = 0) => ({ id, name, price })

/**
 * A complete demo store (31 items in 6 categories, modifier groups, 18 tables, two printers),
 * so a terminal, a test or a benchmark can start with nothing set up.
 * `tableUrl` gives each table's document URL (create the table documents first).
 */
export function demoStoreInit(storeId: string, tableUrl: (tableId: string) => string): StoreInit {
  const categories = ['starters', 'mains', 'sides', 'desserts', 'drinks', 'alcohol']
  return {
    storeId,
    name: 'Tabsync Bistro',
    currency: 'EUR',
    timeZone: 'Europe/Paris',
    dayStartHour: 5,
    taxRates: {
      food: { id: 'food', name: 'VAT 10%', basisPoints: 1000, inclusive: true },
      drinks: { id: 'drinks', name: 'VAT 20%', basisPoints: 2000, inclusive: true },
    },
    categories: Object.fromEntries(
      categories.map((id, position) => [
        id,
        { id, name: id[0]?.toUpperCase() + id.slice(1), position },
      ]),
    ),
    modifierGroups: {
      cooking: {
        id: 'cooking',
        name: 'Cooking',
        min: 1,
        max: 1,
        options: [
          option('rare', 'Rare'),
          option('medium-rare', 'Medium rare'),
          option('medium', 'Medium'),
          option('well', 'Well done'),
        ],
      },
      side: {
        id: 'side',
        name: 'Side',
        min: 0,
        max: 1,
        options: [option('fries', 'Fries'), option('salad', 'Salad'), option('mash', 'Mash', 100)],
      },
      'burger-extra': {
        id: 'burger-extra',
        name: 'Extras',
        min: 0,
        max: 3,
        options: [
          option('cheese', 'Cheese', 150),
          option('bacon', 'Bacon', 200),
          option('egg', 'Fried egg', 150),
          option('no-onion', 'No onion'),
        ],
      },
      sauce: {
        id: 'sauce',
        name: 'Sauce',
        min: 0,
        max: 2,
        options: [option('mayo', 'Mayo'), option('aioli', 'Aioli', 50), option('hot', 'Hot sauce')],
      },
      'salad-extra': {
        id: 'salad-extra',
        name: 'Extras',
        min: 0,
        max: 2,
        options: [option('chicken', 'Chicken', 400), option('anchovies', 'Anchovies', 150)],
      },
      'pizza-extra': {
        id: 'pizza-extra',
        name: 'Toppings',
        min: 0,
        max: 4,
        options: [
          option('ham', 'Ham', 200),
          option('mushrooms', 'Mushrooms', 150),
          option('olives', 'Olives', 100),
          option('chili', 'Chili'),
        ],
      },
      'ice-cream': {
        id: 'ice-cream',
        name: 'Ice cream',
        min: 0,
        max: 1,
        options: [option('vanilla', 'Vanilla scoop', 150)],
      },
      milk: {
        id: 'milk',
        name: 'Milk',
        min: 0,
        max: 1,
        options: [option('oat', 'Oat milk', 50), option('soy', 'Soy milk', 50)],
      },
      ice: {
        id: 'ice',
        name: 'Ice',
        min: 0,
        max: 1,
        options: [option('no-ice', 'No ice'), option('extra-ice', 'Extra ice')],
      },
    },
    items: Object.fromEntries(
      ITEMS.map(([id, name, categoryId, price, station, course, groups]) => [
        id,
        {
          id,
          name,
          categoryId,
          price,
          station,
          course,
          taxRateId: categoryId === 'drinks' || categoryId === 'alcohol' ? 'drinks' : 'food',
          modifierGroupIds: groups ?? [],
        },
      ]),
    ),
    tables: Object.fromEntries(DEMO_TABLES.map((t) => [t.id, { ...t, url: tableUrl(t.id) }])),
    devices: {},
    printers: {
      'kitchen-printer': { id: 'kitchen-printer', name: 'Kitchen', stations: ['kitchen'] },
      'bar-printer': { id: 'bar-printer', name: 'Bar', stations: ['bar'] },
    },
  }
}
