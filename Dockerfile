# Image for the api and discovery services of docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node node_modules/vite/bin/vite.js build --config web/vite.config.ts

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nmap libcap2-bin ca-certificates \
 && setcap cap_net_raw,cap_net_admin+eip /usr/bin/nmap \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/web/dist ./web/dist
COPY services ./services
COPY graph-schema ./graph-schema
COPY rules ./rules
RUN mkdir -p /var/lib/atlas && chown 10001:10001 /var/lib/atlas
USER 10001:10001
EXPOSE 8080
