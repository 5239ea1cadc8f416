export { DateTimeResolver as DateTime, JSONObjectResolver as JSONObject, JSONResolver as JSON } from 'graphql-scalars';
