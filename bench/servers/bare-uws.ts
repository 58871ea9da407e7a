/** The ceiling: a bare uWebSockets.js server answering the same small JSON as the hello action. */
import uWS from 'uWebSockets.js';

const body = JSON.stringify({ hello: 'world' });
uWS
  .App()
  .any('/*', (res) => {
    res.cork(() => {
      res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').end(body);
    });
  })
  .listen('127.0.0.1', 0, (socket) => {
    if (!socket) process.exit(1);
    console.log(`listening on http://127.0.0.1:${uWS.us_socket_local_port(socket)}`);
  });
process.on('SIGTERM', () => process.exit(0));
