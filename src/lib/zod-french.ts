import { z } from 'zod';

// Validation messages in French everywhere (API problems, command line); pages give their own.
z.config(z.locales.fr());
