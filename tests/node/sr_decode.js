// sr_decode.js: Confluent's own Schema Registry client and deserializers
// (@confluentinc/schemaregistry) check what our producer wrote.  Reads one
// JSON request on stdin:
//   {"url", "userInfo"?, "topic", "format": "avro"|"json_sr"|"protobuf",
//    "schema": text, "payloads": [base64, ...]}
// registers the schema under "<topic>-value" (the registry answers the id it
// already has), fetches it back by id, deserializes every payload with the
// format's deserializer (JSON Schema ones validated against the schema) and
// prints {"id", "fetched": {schemaType, schema}, "rows": [...]} on stdout.
'use strict';
const sr = require('@confluentinc/schemaregistry');

const TYPES = { avro: 'AVRO', json_sr: 'JSON', protobuf: 'PROTOBUF' };

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const conf = { baseURLs: [req.url] };
  if (req.userInfo)
    conf.basicAuthCredentials = { credentialsSource: 'USER_INFO', userInfo: req.userInfo };
  const client = new sr.SchemaRegistryClient(conf);
  const subject = `${req.topic}-value`;
  const id = await client.register(subject, { schemaType: TYPES[req.format], schema: req.schema });
  const fetched = await client.getBySubjectAndId(subject, id);
  // A client of its own: the first one's cache holds the schema as text,
  // where the Protobuf deserializer asks for it serialized (a descriptor).
  const reader = new sr.SchemaRegistryClient(conf);
  let deser;
  if (req.format === 'avro')
    deser = new sr.AvroDeserializer(reader, sr.SerdeType.VALUE, {});
  else if (req.format === 'json_sr')
    deser = new sr.JsonDeserializer(reader, sr.SerdeType.VALUE, { validate: true });
  else
    deser = new sr.ProtobufDeserializer(reader, sr.SerdeType.VALUE, {});
  const rows = [];
  for (const p of req.payloads) {
    const msg = await deser.deserialize(req.topic, Buffer.from(p, 'base64'));
    const row = {};
    for (const k of ['sepalLength', 'sepalWidth', 'petalLength', 'petalWidth', 'species'])
      row[k] = msg[k];
    rows.push(row);
  }
  process.stdout.write(JSON.stringify({ id, fetched: { schemaType: fetched.schemaType ?? 'AVRO',
    schema: fetched.schema }, rows }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`sr_decode: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
