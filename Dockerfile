# Rebound: build the TypeScript, then run the built server as a non-root user.
# Node 22 LTS: the lowest release every dependency's engines field accepts (cookie@2, under fastify's
# light-my-request, asks for >=22; the code itself needs >=20.19, see package.json engines).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production REBOUND_CONFIG=/etc/rebound/config.json
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config/default.json /etc/rebound/config.json
RUN mkdir -p /var/lib/rebound && chown node:node /var/lib/rebound \
  && sed -i 's#"dataDir": "../data"#"dataDir": "/var/lib/rebound"#' /etc/rebound/config.json
USER node
VOLUME ["/var/lib/rebound"]
EXPOSE 2525 2526 8025
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["start"]
