// A seeded corpus of tool outputs (shell sessions, config files, diffs, JSON) with planted secrets,
// each made the way its issuer makes it (prefix, alphabet, length), independent of the detectors.
import { RandomText } from "./random-text.js";
import type { SecretType } from "../../src/privacy/types.js";

export interface Planted {
  type: SecretType;
  /** The exact text that must not survive redaction. */
  value: string;
}

export interface Document {
  kind: string;
  text: string;
  planted: Planted[];
  /** True when the text is JSON that must stay parseable. */
  json: boolean;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const BASE64 = `${ALNUM}+/`;
const URLSAFE = `${ALNUM}-_`;
const HEX = "0123456789abcdef";

/** Builds documents; every secret value is fresh, so finding it in the output means it leaked. */
export class CorpusBuilder extends RandomText {
  constructor(seed: number) {
    super(seed, "privacy-corpus");
  }

  base64url(bytes: number): string {
    return this.base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Secrets as their issuers make them.
  awsAccessKey = () => `${this.random.pick(["AKIA", "ASIA"])}${this.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`;
  awsSecretKey = () => this.token(BASE64, 40);
  githubToken = () =>
    this.random.next() < 0.7
      ? `${this.random.pick(["ghp_", "gho_", "ghs_", "ghu_"])}${this.token(ALNUM, 36)}`
      : `github_pat_${this.token(ALNUM, 22)}_${this.token(ALNUM, 59)}`;
  gitlabToken = () => `glpat-${this.token(URLSAFE, 20)}`;
  openaiKey = () =>
    this.random.next() < 0.6 ? `sk-proj-${this.token(URLSAFE, this.random.int(48, 156))}` : `sk-${this.token(ALNUM, 20)}T3BlbkFJ${this.token(ALNUM, 20)}`;
  anthropicKey = () => `sk-ant-api03-${this.token(URLSAFE, 93)}AA`;
  huggingfaceToken = () => `hf_${this.token(UPPER + LOWER + DIGITS, 34)}`;
  slackToken = () => `${this.random.pick(["xoxb", "xoxp"])}-${this.chars(DIGITS, 11)}-${this.chars(DIGITS, 13)}-${this.token(ALNUM, 24)}`;
  slackWebhookPath = () => `services/T${this.token(UPPER + DIGITS, 8)}/B${this.token(UPPER + DIGITS, 10)}/${this.token(ALNUM, 24)}`;
  stripeKey = () => `${this.random.pick(["sk_live_", "rk_live_", "sk_test_"])}${this.token(ALNUM, this.random.int(24, 99))}`;
  googleApiKey = () => `AIza${this.token(URLSAFE, 35)}`;
  npmToken = () => `npm_${this.token(ALNUM, 36)}`;
  pypiToken = () => `pypi-AgEIcHlwaS5vcmc${this.token(URLSAFE, this.random.int(60, 150))}`;
  twilioKey = () => `SK${this.token(HEX, 32)}`;
  sendgridKey = () => `SG.${this.token(URLSAFE, 22)}.${this.token(URLSAFE, 43)}`;
  azureAccountKey = () => `${this.base64(64)}`;
  azureSig = () => encodeURIComponent(this.base64(32));
  jwt = () => {
    const header = Buffer.from(JSON.stringify({ alg: this.random.pick(["HS256", "RS256"]), typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ sub: this.chars(DIGITS, 10), name: this.chars(LOWER, 8), iat: this.random.int(1.5e9, 1.8e9) })).toString("base64url");
    return `${header}.${payload}.${this.base64url(32)}`;
  };
  opaqueBearer = () => this.token(`${ALNUM}._-`, this.random.int(32, 64));
  password = () => `${this.chars(UPPER + LOWER, 1)}${this.token(`${ALNUM}!#%*_-.~+`, this.random.int(9, 19))}`;
  genericSecret = () => this.random.pick([() => this.token(ALNUM, this.random.int(24, 48)), () => this.token(HEX, this.random.pick([32, 40, 64])), () => this.base64(this.random.int(24, 48))])();
  userName = () => `${this.chars(LOWER, this.random.int(3, 6))}${this.chars(LOWER + DIGITS, this.random.int(2, 4))}`;
  email = () =>
    `${this.chars(LOWER, this.random.int(3, 8))}${this.random.pick([".", "_", ""])}${this.chars(LOWER, this.random.int(2, 8))}${this.chars(DIGITS, this.random.int(0, 3))}@${this.random.pick([
      "gmail.com",
      "acme-corp.io",
      "mail.univ-lyon.fr",
      "company.co.uk",
      "research.lab.org",
      "outlook.com",
    ])}`;
  privateKey = (escaped: boolean) => {
    const label = this.random.pick(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]);
    const lines = Array.from({ length: this.random.int(4, 12) }, () => this.base64(48));
    const nl = escaped ? "\\n" : "\n";
    return { block: `-----BEGIN ${label}-----${nl}${lines.join(nl)}${nl}-----END ${label}-----`, body: lines[1]! };
  };
}

type Make = (b: CorpusBuilder) => Document;

const SHELL_PROMPT = (b: CorpusBuilder) => b.random.pick(["$ ", "user@devbox:~/app$ ", "➜  app git:(main) ", "(venv) $ "]);

/** Realistic tool outputs, each planting one or more secrets. */
export const TEMPLATES: Record<string, Make> = {
  envDump(b) {
    const aws = b.awsAccessKey();
    const secret = b.awsSecretKey();
    const openai = b.openaiKey();
    const user = b.userName();
    return {
      kind: "envDump",
      json: false,
      planted: [
        { type: "aws-access-key", value: aws },
        { type: "aws-secret-key", value: secret },
        { type: "openai-key", value: openai },
        { type: "home-user", value: user },
      ],
      text: `${SHELL_PROMPT(b)}env | sort\nHOME=/home/${user}\nLANG=en_US.UTF-8\nAWS_ACCESS_KEY_ID=${aws}\nAWS_SECRET_ACCESS_KEY=${secret}\nAWS_DEFAULT_REGION=eu-west-1\nOPENAI_API_KEY=${openai}\nPATH=/usr/local/bin:/usr/bin:/bin\nSHELL=/bin/bash\nTERM=xterm-256color\n`,
    };
  },
  awsCredentials(b) {
    const aws = b.awsAccessKey();
    const secret = b.awsSecretKey();
    return {
      kind: "awsCredentials",
      json: false,
      planted: [
        { type: "aws-access-key", value: aws },
        { type: "aws-secret-key", value: secret },
      ],
      text: `[default]\naws_access_key_id = ${aws}\naws_secret_access_key = ${secret}\nregion = us-east-1\n\n[profile ci]\nrole_arn = arn:aws:iam::${b.chars(DIGITS, 12)}:role/ci-deploy\nsource_profile = default\n`,
    };
  },
  dotenv(b) {
    const stripe = b.stripeKey();
    const sendgrid = b.sendgridKey();
    const password = b.password();
    const generic = b.genericSecret();
    const db = b.password();
    return {
      kind: "dotenv",
      json: false,
      planted: [
        { type: "stripe-key", value: stripe },
        { type: "sendgrid-key", value: sendgrid },
        { type: "password", value: password },
        { type: "generic-secret", value: generic },
        { type: "password", value: db },
      ],
      text: `# .env — local development\nNODE_ENV=development\nPORT=3000\nSTRIPE_SECRET_KEY=${stripe}\nSENDGRID_API_KEY="${sendgrid}"\nADMIN_PASSWORD='${password}'\nSESSION_SECRET=${generic}\nDATABASE_URL=postgres://app:${db}@db.internal:5432/app_dev\nLOG_LEVEL=debug\n`,
    };
  },
  gitRemote(b) {
    const github = b.githubToken();
    const gitlab = b.gitlabToken();
    return {
      kind: "gitRemote",
      json: false,
      planted: [
        { type: "github-token", value: github },
        { type: "gitlab-token", value: gitlab },
      ],
      text: `${SHELL_PROMPT(b)}git remote -v\norigin\thttps://x-access-token:${github}@github.com/acme/api.git (fetch)\norigin\thttps://x-access-token:${github}@github.com/acme/api.git (push)\nmirror\thttps://oauth2:${gitlab}@gitlab.com/acme/api.git (fetch)\nmirror\thttps://oauth2:${gitlab}@gitlab.com/acme/api.git (push)\n`,
    };
  },
  curlBearer(b) {
    const bearer = b.opaqueBearer();
    const jwt = b.jwt();
    return {
      kind: "curlBearer",
      json: false,
      planted: [
        { type: "bearer-token", value: bearer },
        { type: "jwt", value: jwt },
      ],
      text: `${SHELL_PROMPT(b)}curl -s -H "Authorization: Bearer ${bearer}" https://api.internal.example.net/v1/me\n{"id": 42, "plan": "pro"}\n${SHELL_PROMPT(b)}curl -s https://auth.internal.example.net/token -d 'grant_type=client_credentials'\n{"access_token":"${jwt}","token_type":"Bearer","expires_in":3600}\n`,
    };
  },
  basicAuthLog(b) {
    const credentials = Buffer.from(`${b.userName()}:${b.password()}`).toString("base64");
    const email = b.email();
    return {
      kind: "basicAuthLog",
      json: false,
      planted: [
        { type: "basic-auth", value: credentials },
        { type: "email", value: email },
      ],
      text: `> GET /api/reports HTTP/1.1\n> Host: reports.internal\n> Authorization: Basic ${credentials}\n> User-Agent: curl/8.4.0\n>\n< HTTP/1.1 200 OK\n< Content-Type: application/json\n<\n{"owner": "${email}", "reports": 12}\n`,
    };
  },
  serviceAccount(b) {
    const key = b.privateKey(true);
    const email = `${b.chars(LOWER, 8)}@${b.chars(LOWER, 6)}-${b.chars(DIGITS, 6)}.iam.gserviceaccount.com`;
    const google = b.googleApiKey();
    const text = `{\n  "type": "service_account",\n  "project_id": "acme-prod-${b.chars(DIGITS, 6)}",\n  "private_key_id": "${b.chars(HEX, 40)}",\n  "private_key": "${key.block}\\n",\n  "client_email": "${email}",\n  "client_id": "${b.chars(DIGITS, 21)}",\n  "auth_uri": "https://accounts.google.com/o/oauth2/auth",\n  "token_uri": "https://oauth2.googleapis.com/token",\n  "api_key": "${google}"\n}\n`;
    return {
      kind: "serviceAccount",
      json: true,
      planted: [
        { type: "private-key", value: key.body },
        { type: "email", value: email },
        { type: "google-api-key", value: google },
      ],
      text,
    };
  },
  sshKey(b) {
    const key = b.privateKey(false);
    const user = b.userName();
    return {
      kind: "sshKey",
      json: false,
      planted: [
        { type: "private-key", value: key.body },
        { type: "home-user", value: user },
      ],
      text: `${SHELL_PROMPT(b)}cat /Users/${user}/.ssh/id_deploy\n${key.block}\n${SHELL_PROMPT(b)}ls -la /Users/${user}/.ssh\ntotal 16\n-rw-------  1 staff  staff  2602 Jan  3 10:12 id_deploy\n`,
    };
  },
  diff(b) {
    const old = b.genericSecret();
    const hf = b.huggingfaceToken();
    const slack = b.slackToken();
    return {
      kind: "diff",
      json: false,
      planted: [
        { type: "generic-secret", value: old },
        { type: "huggingface-token", value: hf },
        { type: "slack-token", value: slack },
      ],
      text: `diff --git a/config/settings.py b/config/settings.py\nindex 3f2a1c4..9b8e7d2 100644\n--- a/config/settings.py\n+++ b/config/settings.py\n@@ -12,7 +12,8 @@ DEBUG = False\n ALLOWED_HOSTS = ["api.acme.io"]\n-API_TOKEN = "${old}"\n+HF_TOKEN = os.environ.get("HF_TOKEN", "${hf}")\n+SLACK_BOT_TOKEN = "${slack}"\n TIME_ZONE = "UTC"\n`,
    };
  },
  npmrc(b) {
    const npm = b.npmToken();
    const pypi = b.pypiToken();
    return {
      kind: "npmrc",
      json: false,
      planted: [
        { type: "npm-token", value: npm },
        { type: "pypi-token", value: pypi },
      ],
      text: `${SHELL_PROMPT(b)}cat ~/.npmrc ~/.pypirc\n//registry.npmjs.org/:_authToken=${npm}\nregistry=https://registry.npmjs.org/\n[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = ${pypi}\n`,
    };
  },
  azureSettings(b) {
    const account = b.azureAccountKey();
    const sig = b.azureSig();
    const sql = b.password();
    const text = JSON.stringify(
      {
        ConnectionStrings: {
          Storage: `DefaultEndpointsProtocol=https;AccountName=acmestore${b.chars(DIGITS, 3)};AccountKey=${account};EndpointSuffix=core.windows.net`,
          Sql: `Server=tcp:acme.database.windows.net,1433;Database=orders;User ID=orders_app;Password=${sql};Encrypt=True;`,
        },
        Blob: { ExportUrl: `https://acmestore.blob.core.windows.net/exports?sv=2022-11-02&ss=b&srt=o&sp=r&se=2025-01-01T00:00:00Z&spr=https&sig=${sig}` },
        Logging: { LogLevel: { Default: "Information" } },
      },
      null,
      2,
    );
    return {
      kind: "azureSettings",
      json: true,
      planted: [
        { type: "azure-storage-key", value: account },
        { type: "azure-sas", value: sig },
        { type: "password", value: sql },
      ],
      text,
    };
  },
  composeYaml(b) {
    const twilio = b.twilioKey();
    const webhook = b.slackWebhookPath();
    const password = b.password();
    const anthropic = b.anthropicKey();
    return {
      kind: "composeYaml",
      json: false,
      planted: [
        { type: "twilio-key", value: twilio },
        { type: "slack-webhook", value: webhook },
        { type: "password", value: password },
        { type: "anthropic-key", value: anthropic },
      ],
      text: `services:\n  worker:\n    image: acme/worker:1.4.2\n    environment:\n      TWILIO_API_KEY: ${twilio}\n      SLACK_WEBHOOK_URL: https://hooks.slack.com/${webhook}\n      ANTHROPIC_API_KEY: ${anthropic}\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${password}\n      POSTGRES_DB: worker\n`,
    };
  },
  traceback(b) {
    const user = b.userName();
    const windowsUser = b.userName();
    return {
      kind: "traceback",
      json: false,
      planted: [
        { type: "home-user", value: user },
        { type: "home-user", value: windowsUser },
      ],
      text: `Traceback (most recent call last):\n  File "/home/${user}/src/etl/run.py", line 41, in <module>\n    main()\n  File "/home/${user}/src/etl/run.py", line 37, in main\n    load(path)\nFileNotFoundError: [Errno 2] No such file or directory: 'C:\\\\Users\\\\${windowsUser}\\\\Downloads\\\\orders.csv'\nwarning: C:\\Users\\${windowsUser}\\AppData\\Local\\Temp\\etl.lock is stale\n`,
    };
  },
  jsonApi(b) {
    const generic = b.genericSecret();
    const password = b.password();
    const email = b.email();
    const user = b.userName();
    const text = JSON.stringify({
      user: { email, home: `/home/${user}`, settings: { theme: "dark" } },
      credentials: { client_id: b.chars(DIGITS, 12), client_secret: generic, password },
      repo: `https://github.com/acme/${b.chars(LOWER, 6)}`,
    });
    return {
      kind: "jsonApi",
      json: true,
      planted: [
        { type: "email", value: email },
        { type: "home-user", value: user },
        { type: "generic-secret", value: generic },
        { type: "password", value: password },
      ],
      text,
    };
  },
};

/** A shell session as a JSON tool result (`{"stdout": …}`): secrets sit between `\n` and `\"` escapes. */
TEMPLATES.nestedJson = (b) => {
  const inner = b.random.pick([TEMPLATES.envDump!, TEMPLATES.dotenv!, TEMPLATES.traceback!, TEMPLATES.curlBearer!])(b);
  const text = JSON.stringify({ exit_code: 0, stdout: inner.text.replace(/\n/g, "\r\n"), stderr: "" });
  return { kind: `nestedJson/${inner.kind}`, json: true, planted: inner.planted, text };
};

/** `count` documents, templates in turn; each document is a realistic tool output with its planted secrets. */
export function buildCorpus(seed: number, count: number): Document[] {
  const builder = new CorpusBuilder(seed);
  const makers = Object.values(TEMPLATES);
  return Array.from({ length: count }, (_, i) => makers[i % makers.length]!(builder));
}
