/**
 * The `shop` schema several integration tests sync: `t_user` into `public.t_user` and `line` into
 * `sales.order_line`. Each test writes its own DDL for it, on purpose different (a key or none on
 * the target, extra columns), so only the config's table rules are shared.
 */
export const SHOP_RULES = `
[[source]]
schema = "shop"
tables = ["t_user", "line"]

[[rule]]
schema = "shop"
table = "line"
pg_schema = "sales"
pg_table = "order_line"
`;
