/** The seed's taxi discount as the campaign tests send it (the sandbox's taxi_discount template). */
export const TAXI_TEMPLATE = {
  name: 'taxi_discount',
  language: 'es_AR',
  header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
  body: [
    { field: 'first_name', default: 'cliente' },
    { attribute: 'discount', default: '10%' },
  ],
  buttons: [null, null, { url_suffix: 'taxi10' }, { coupon_code: 'TAXI10' }],
};

/** A campaign of the taxi discount to the contacts tagged `tag`. */
export const taxiCampaign = (name: string, tag: string, extra: Record<string, unknown> = {}) => ({
  name,
  template: TAXI_TEMPLATE,
  audience: { filter: { tags: { all: [tag] } } },
  ...extra,
});
