/** @type {import('next').NextConfig} */
const nextConfig = {
  // The guide's code is compiled as written; linting it is not this suite's job.
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;
