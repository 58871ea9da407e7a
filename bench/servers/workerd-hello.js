// The peer "workerd": the hello action's user code in a Cloudflare Worker, answering its JSON.
export default {
  async fetch(request) {
    const params = { name: new URL(request.url).searchParams.get('name') };
    return new Response(JSON.stringify(main(params)), { headers: { 'content-type': 'application/json' } });
  },
};

function main(params) {
  return { hello: params.name || 'world' };
}
