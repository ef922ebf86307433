# trailbot's production image, built by `cdk deploy` (infra/: ContainerImage.fromAsset of this folder).
# The build context is limited by .dockerignore to what the bot needs: package manifests, tsconfig, src/, commands/, sql/.
# ECR Public's mirror of the official Node image: no Docker Hub pull limits when CodeBuild or a laptop builds it.
FROM public.ecr.aws/docker/library/node:20-bookworm-slim AS build
WORKDIR /app
# The lockfile names the infra workspace, so its package.json must be present for `npm ci`.
COPY package.json package-lock.json ./
COPY infra/package.json infra/package.json
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY sql ./sql
# Compiled JavaScript: nothing is transpiled at start-up, so no cache folder has to be writable (tsx needs one, and
# a read-only /tmp crashed start-up).
RUN npm run build

FROM public.ecr.aws/docker/library/node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY infra/package.json infra/package.json
# Runtime dependencies only; the infra workspace's packages (CDK) are development dependencies.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM public.ecr.aws/docker/library/node:20-bookworm-slim
ENV NODE_ENV=production
# glibc gives every thread that allocates its own malloc arena (up to 8 per core), and freed memory stays in the arena
# of the thread that freed it. Measured with bench/rss-probe.ts (`errors 30d` over 990,000 events, 2026-11-30, after
# the file lists became connection variables): the bot's peak RSS was 234–248 MiB by default and 216–229 MiB with two
# arenas, at the same speed.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# The task runs with a read-only root file system; these two paths are ECS bind-mount volumes. ECS copies a VOLUME
# path's ownership from the image into the volume, so the unprivileged `node` user can write there
# (docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html).
RUN mkdir -p /app/results && chown node:node /app/results
VOLUME ["/tmp", "/app/results"]
USER node
ENV TRAIL_RESULTS_DIR=/app/results
# The bot touches /app/results/.trailbot-alive every 30 s; three misses make the container unhealthy. ECS ignores
# this instruction and uses the task definition's health check (infra/lib/bot-service.ts), which runs the same command.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "dist/src/health.js"]
# node itself is PID 1's only child of interest: SIGTERM from ECS reaches the bot, which hands its work over.
CMD ["node", "dist/src/main.js"]
